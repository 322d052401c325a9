import { useApolloClient } from '@apollo/client/react';
import { useCallback } from 'react';
import { graphql } from '../gql/index.ts';
import { mediaUrl } from '../lib/urls.ts';
import { imageTypeOf, MAX_UPLOAD_BYTES, putFile } from '../lib/upload.ts';
import { megabytes } from '../lib/format.ts';

const CreateUpload = graphql(`
  mutation CreateUpload($input: CreateUploadInput!) {
    createUpload(input: $input) {
      id
      uploadUrl
      expiresAt
    }
  }
`);

/** Why a picked file cannot be uploaded, in words; null when it can. */
export function refuseFile(file: Pick<File, 'name' | 'type' | 'size'>): string | null {
  if (!imageTypeOf(file)) return `“${file.name}” is not a photo Shutter can use (JPEG, PNG, WebP, HEIC or AVIF).`;
  if (file.size > MAX_UPLOAD_BYTES) return `“${file.name}” is ${megabytes(file.size)}; a photo can be at most ${megabytes(MAX_UPLOAD_BYTES)}.`;
  if (file.size === 0) return `“${file.name}” is empty.`;
  return null;
}

export interface RunningUpload {
  /** The upload's id once its bytes are in. */
  done: Promise<string>;
  abort(): void;
}

/** createUpload, then the bytes by PUT to its URL with progress; resolves with the upload's id. */
export function useUploader() {
  const client = useApolloClient();
  return useCallback(
    (file: File, onProgress: (fraction: number) => void): RunningUpload => {
      let abort = () => {};
      let aborted = false;
      const done = (async () => {
        const contentType = imageTypeOf(file);
        if (!contentType) throw new Error(refuseFile(file) ?? 'Not a photo.');
        const { data } = await client.mutate({ mutation: CreateUpload, variables: { input: { contentType, byteSize: file.size } } });
        if (!data) throw new Error('The server did not start the upload.');
        if (aborted) throw new Error('The upload was cancelled.');
        const put = putFile(mediaUrl(data.createUpload.uploadUrl), file, onProgress);
        abort = put.abort;
        await put.done;
        return data.createUpload.id;
      })();
      return {
        done,
        abort: () => {
          aborted = true;
          abort();
        },
      };
    },
    [client],
  );
}
