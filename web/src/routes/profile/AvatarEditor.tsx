import { useApolloClient, useMutation } from '@apollo/client/react';
import { useRef, useState } from 'react';
import { Dialog } from '../../components/Dialog.tsx';
import { useToast } from '../../components/Toasts.tsx';
import { graphql } from '../../gql/index.ts';
import type { Avatar_UserFragment } from '../../gql/graphql.ts';
import { refuseFile, useUploader } from '../../hooks/useUploader.ts';
import { describeError } from '../../lib/errors.ts';
import styles from './profile.module.css';

const SetAvatar = graphql(`
  mutation SetAvatar($uploadId: ID) {
    setAvatar(uploadId: $uploadId) {
      id
      ...Avatar_user
    }
  }
`);

const AvatarPoll = graphql(`
  query AvatarPoll($id: ID!) {
    user(id: $id) {
      id
      ...Avatar_user
    }
  }
`);

/**
 * Set or clear the profile photo. A new photo is processed by the media worker like any other
 * (a second or so): until its variants exist the local file stands in.
 */
export function AvatarEditor({ user, onClose, onLocalPreview }: { user: Avatar_UserFragment; onClose: () => void; onLocalPreview: (url: string | null) => void }) {
  const client = useApolloClient();
  const toast = useToast();
  const upload = useUploader();
  const [setAvatar] = useMutation(SetAvatar);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const waitForVariants = async (preview: string) => {
    for (let attempt = 0; attempt < 40; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { data } = await client.query({ query: AvatarPoll, variables: { id: user.id }, fetchPolicy: 'network-only' });
      if (data?.user?.avatar) break;
    }
    onLocalPreview(null);
    URL.revokeObjectURL(preview);
  };

  const choose = async (file: File | undefined) => {
    if (!file) return;
    const refused = refuseFile(file);
    if (refused) {
      setError(refused);
      return;
    }
    setError(null);
    setProgress(0);
    try {
      const uploadId = await upload(file, setProgress).done;
      const { data } = await setAvatar({ variables: { uploadId } });
      const preview = URL.createObjectURL(file);
      onLocalPreview(preview);
      onClose();
      toast.info('Profile photo updated.');
      if (!data?.setAvatar.avatar) void waitForVariants(preview);
      else {
        onLocalPreview(null);
        URL.revokeObjectURL(preview);
      }
    } catch (e) {
      setProgress(null);
      setError(describeError(e));
    }
  };

  const remove = async () => {
    try {
      await setAvatar({ variables: { uploadId: null } });
      onClose();
      toast.info('Profile photo removed.');
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <Dialog title="Change profile photo" onClose={onClose}>
      <div className={styles.avatarMenu}>
        <input
          ref={input}
          type="file"
          accept="image/jpeg,image/png,image/webp,image/heic,image/avif"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => void choose(e.target.files?.[0])}
        />
        <button type="button" className={styles.menuPrimary} disabled={progress !== null} onClick={() => input.current?.click()}>
          {progress === null ? 'Upload photo' : `Uploading… ${Math.round(progress * 100)}%`}
        </button>
        {progress !== null && (
          <progress className={styles.avatarProgress} max={1} value={progress} aria-label="Upload progress">
            {Math.round(progress * 100)}%
          </progress>
        )}
        {user.avatar && (
          <button type="button" className={styles.menuDanger} onClick={() => void remove()}>
            Remove current photo
          </button>
        )}
        {error && (
          <p className={styles.menuError} role="alert">
            {error}
          </p>
        )}
        <button type="button" className={styles.menuItem} onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
