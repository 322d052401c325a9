/**
 * One file to its upload URL with a real progress bar: XHR, because fetch reports no upload
 * progress. The media service takes the raw bytes in a PUT, once.
 */
export interface UploadHandle {
  done: Promise<void>;
  abort(): void;
}

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export function putFile(url: string, file: Blob, onProgress: (fraction: number) => void, xhr: XMLHttpRequest = new XMLHttpRequest()): UploadHandle {
  const done = new Promise<void>((resolve, reject) => {
    xhr.open('PUT', url);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(Math.min(1, event.loaded / event.total));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
        return;
      }
      let message = `The upload was refused (${xhr.status}).`;
      try {
        const body = JSON.parse(xhr.responseText) as { error?: string; message?: string; errors?: { message: string }[] };
        message = body.errors?.[0]?.message ?? body.error ?? body.message ?? message;
      } catch {
        // not JSON: the status says enough
      }
      reject(new UploadError(message, xhr.status));
    };
    xhr.onerror = () => reject(new UploadError('The upload failed: Shutter can’t be reached.', 0));
    xhr.onabort = () => reject(new UploadError('The upload was cancelled.', 0));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/** What createUpload accepts; the bytes are checked again by the server (by their content). */
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'image/avif'] as const;
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/** The type to declare for a picked file: some systems give HEIC files no type. */
export function imageTypeOf(file: Pick<File, 'type' | 'name'>): string | null {
  if ((ACCEPTED_TYPES as readonly string[]).includes(file.type)) return file.type === 'image/heif' ? 'image/heic' : file.type;
  if (!file.type && /\.(heic|heif)$/i.test(file.name)) return 'image/heic';
  return null;
}
