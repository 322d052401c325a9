import type { PreloadedQueryRef } from '@apollo/client/react';
import { useMutation, useReadQuery } from '@apollo/client/react';
import { Suspense, useState, type FormEvent } from 'react';
import { useLoaderData, useNavigate } from 'react-router';
import { Avatar } from '../../components/Avatar.tsx';
import { Field, TextArea } from '../../components/Field.tsx';
import { RowSkeleton } from '../../components/Skeleton.tsx';
import { useToast } from '../../components/Toasts.tsx';
import { graphql } from '../../gql/index.ts';
import type { EditProfileQuery, EditProfileQueryVariables } from '../../gql/graphql.ts';
import { apiErrors, describeError, splitFieldErrors } from '../../lib/errors.ts';
import { charCount } from '../../lib/format.ts';
import { AvatarEditor } from './AvatarEditor.tsx';
import styles from './edit.module.css';

const UpdateProfile = graphql(`
  mutation UpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      id
      displayName
      bio
    }
  }
`);

// The users service's limits (subgraphs/users/src/validation.ts).
const MAX_NAME = 64;
const MAX_BIO = 300;

function EditForm({ queryRef }: { queryRef: PreloadedQueryRef<EditProfileQuery, EditProfileQueryVariables> }) {
  const { data } = useReadQuery(queryRef);
  const me = data.me!;
  const navigate = useNavigate();
  const toast = useToast();
  const [displayName, setDisplayName] = useState(me.displayName ?? '');
  const [bio, setBio] = useState(me.bio ?? '');
  const [errors, setErrors] = useState<{ fields: Partial<Record<'displayName' | 'bio', string>>; general: string[] }>({ fields: {}, general: [] });
  const [editingAvatar, setEditingAvatar] = useState(false);
  const [localAvatar, setLocalAvatar] = useState<string | null>(null);
  const [update, { loading }] = useMutation(UpdateProfile);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const local: Partial<Record<'displayName' | 'bio', string>> = {};
    if (charCount(displayName) > MAX_NAME) local.displayName = `A name is at most ${MAX_NAME} characters.`;
    if (charCount(bio) > MAX_BIO) local.bio = `A bio is at most ${MAX_BIO} characters.`;
    if (Object.keys(local).length) return setErrors({ fields: local, general: [] });
    try {
      await update({ variables: { input: { displayName: displayName.trim() || null, bio: bio.trim() || null } } });
      toast.info('Profile saved.');
      void navigate(`/u/${me.username}`);
    } catch (e) {
      const split = splitFieldErrors(apiErrors(e), ['displayName', 'bio'] as const);
      setErrors(split.general.length || Object.keys(split.fields).length ? split : { fields: {}, general: [describeError(e)] });
    }
  };

  return (
    <form className={styles.form} onSubmit={(e) => void submit(e)} noValidate>
      <div className={styles.photoRow}>
        <Avatar user={me} size={56} localUrl={localAvatar} />
        <div className={styles.photoText}>
          <strong>{me.username}</strong>
          <button type="button" className={styles.link} onClick={() => setEditingAvatar(true)}>
            Change profile photo
          </button>
        </div>
      </div>
      <Field label="Name" name="name" autoComplete="name" value={displayName} maxLength={MAX_NAME * 2} error={errors.fields.displayName} hint="Shown under your username." onChange={(e) => setDisplayName(e.target.value)} />
      <TextArea label="Bio" name="bio" value={bio} rows={4} error={errors.fields.bio} counter={{ used: charCount(bio), max: MAX_BIO }} onChange={(e) => setBio(e.target.value)} />
      {errors.general.length > 0 && (
        <p className={styles.general} role="alert">
          {errors.general.join(' ')}
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={styles.save} disabled={loading}>
          {loading ? 'Saving…' : 'Save'}
        </button>
      </div>
      {editingAvatar && <AvatarEditor user={me} onClose={() => setEditingAvatar(false)} onLocalPreview={setLocalAvatar} />}
    </form>
  );
}

export function Component() {
  const queryRef = useLoaderData() as PreloadedQueryRef<EditProfileQuery, EditProfileQueryVariables>;
  return (
    <div className={styles.page}>
      <h1 className={styles.title}>Edit profile</h1>
      <Suspense fallback={<RowSkeleton count={3} />}>
        <EditForm queryRef={queryRef} />
      </Suspense>
    </div>
  );
}
