import { useMutation } from '@apollo/client/react';
import { MoreHorizontal } from 'lucide-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { graphql } from '../gql/index.ts';
import { describeError } from '../lib/errors.ts';
import { ConfirmDialog } from './Dialog.tsx';
import { Menu } from './Menu.tsx';
import { useToast } from './Toasts.tsx';

const DeletePost = graphql(`
  mutation DeletePost($id: ID!) {
    deletePost(id: $id)
  }
`);

/** The author's actions on their own post: copy its link, delete it. */
export function PostMenu({ postId, authorUsername, leaveTo }: { postId: string; authorUsername: string; leaveTo?: string }) {
  const toast = useToast();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [deletePost, { loading }] = useMutation(DeletePost, {
    update(cache, { data }) {
      if (!data?.deletePost) return;
      // Gone from every list that holds it (feed, profile, hashtags) and from the author's count.
      cache.evict({ id: cache.identify({ __typename: 'Post', id: postId }) });
      cache.gc();
    },
  });
  return (
    <>
      <Menu
        label="Post options"
        icon={<MoreHorizontal size={20} aria-hidden="true" />}
        items={[
          {
            label: 'Copy link',
            onSelect: () =>
              void navigator.clipboard.writeText(new URL(`/p/${postId}`, window.location.origin).toString()).then(
                () => toast.info('Link copied to the clipboard.'),
                () => toast.error('Couldn’t copy the link.'),
              ),
          },
          { label: 'Delete', danger: true, onSelect: () => setConfirming(true) },
        ]}
      />
      {confirming && (
        <ConfirmDialog
          title="Delete post?"
          body="It disappears from your profile and from your followers’ feeds. This can’t be undone."
          confirmLabel="Delete"
          busy={loading}
          onClose={() => setConfirming(false)}
          onConfirm={() =>
            void deletePost({ variables: { id: postId } }).then(
              () => {
                setConfirming(false);
                toast.info('Post deleted.');
                if (leaveTo) void navigate(leaveTo ?? `/u/${authorUsername}`);
              },
              (error: unknown) => toast.error(`Couldn’t delete the post: ${describeError(error)}`),
            )
          }
        />
      )}
    </>
  );
}
