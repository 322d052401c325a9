import type { ApolloCache } from '@apollo/client';
import { useMutation } from '@apollo/client/react';
import { Trash2 } from 'lucide-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { useViewerSession } from '../../app/services.tsx';
import { Avatar } from '../../components/Avatar.tsx';
import { ConfirmDialog } from '../../components/Dialog.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { RichText } from '../../components/RichText.tsx';
import { useToast } from '../../components/Toasts.tsx';
import { graphql } from '../../gql/index.ts';
import type { CommentRow_CommentFragment } from '../../gql/graphql.ts';
import { editConnection, type StoredConnection } from '../../lib/cache.ts';
import { apiErrors, describeError, splitFieldErrors } from '../../lib/errors.ts';
import { charCount } from '../../lib/format.ts';
import styles from './post.module.css';

export const CommentRow_comment = graphql(`
  fragment CommentRow_comment on Comment {
    id
    text
    createdAt
    author {
      id
      username
      ...Avatar_user
    }
  }
`);

const AddComment = graphql(`
  mutation AddComment($postId: ID!, $text: String!) {
    addComment(postId: $postId, text: $text) {
      id
      ...CommentRow_comment
      post {
        id
        commentCount
      }
    }
  }
`);

const DeleteComment = graphql(`
  mutation DeleteComment($id: ID!) {
    deleteComment(id: $id)
  }
`);

const MAX_COMMENT = 1000;

/** Changes a post's comment list and count in the cache. */
function editComments(cache: ApolloCache, postId: string, edit: (edges: StoredConnection['edges']) => StoredConnection['edges'], delta: number) {
  const id = cache.identify({ __typename: 'Post', id: postId });
  editConnection(cache, 'comments', edit, id);
  cache.modify<{ commentCount: number }>({ id, fields: { commentCount: (count) => Math.max(0, count + delta) } });
}

export function CommentRow({ comment, postId, postAuthorId }: { comment: CommentRow_CommentFragment; postId: string; postAuthorId: string }) {
  const { user: viewer } = useViewerSession();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const [deleteComment, { loading }] = useMutation(DeleteComment, {
    update(cache, { data }) {
      if (!data?.deleteComment) return;
      const id = cache.identify({ __typename: 'Comment', id: comment.id });
      editComments(cache, postId, (edges) => edges.filter((edge) => edge.node.__ref !== id), -1);
      cache.evict({ id });
    },
  });
  // The comment's author, and the post's author, may delete it (the server checks the same).
  const canDelete = comment.author.id === viewer.id || postAuthorId === viewer.id;
  return (
    <li className={styles.comment}>
      <Link to={`/u/${comment.author.username}`} aria-hidden="true" tabIndex={-1}>
        <Avatar user={comment.author} size={32} />
      </Link>
      <div className={styles.commentBody}>
        <p className={styles.commentText}>
          <Link to={`/u/${comment.author.username}`} className={styles.username}>
            {comment.author.username}
          </Link>{' '}
          <RichText text={comment.text} hashtags={[]} />
        </p>
        <RelativeTime iso={comment.createdAt} className={styles.commentTime} />
      </div>
      {canDelete && (
        <button type="button" className={styles.deleteComment} aria-label={`Delete comment by @${comment.author.username}`} onClick={() => setConfirming(true)}>
          <Trash2 size={16} aria-hidden="true" />
        </button>
      )}
      {confirming && (
        <ConfirmDialog
          title="Delete comment?"
          body={`“${comment.text.length > 80 ? `${comment.text.slice(0, 80)}…` : comment.text}”`}
          confirmLabel="Delete"
          busy={loading}
          onClose={() => setConfirming(false)}
          onConfirm={() =>
            void deleteComment({ variables: { id: comment.id } }).then(
              () => setConfirming(false),
              (error: unknown) => {
                setConfirming(false);
                toast.error(`Couldn’t delete the comment: ${describeError(error)}`);
              },
            )
          }
        />
      )}
    </li>
  );
}

export function AddCommentForm({ postId }: { postId: string }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const location = useLocation();
  const [addComment, { loading }] = useMutation(AddComment, {
    update(cache, { data }) {
      const comment = data?.addComment;
      if (!comment) return;
      // Oldest first: the new one goes at the end (a later page that holds it too is deduplicated).
      const ref = cache.identify({ __typename: 'Comment', id: comment.id });
      if (ref) editComments(cache, postId, (edges) => [...edges, { __typename: 'CommentEdge', cursor: '', node: { __ref: ref } }], 0);
    },
  });
  useEffect(() => {
    if (location.hash === '#comment') input.current?.focus();
  }, [location.hash]);

  const used = charCount(text);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!text.trim() || used > MAX_COMMENT) return;
    setError(null);
    try {
      await addComment({ variables: { postId, text: text.trim() } });
      setText('');
    } catch (e) {
      const { fields, general } = splitFieldErrors(apiErrors(e), ['text'] as const);
      setError(fields.text ?? (general.join(' ') || describeError(e)));
    }
  };

  return (
    <form className={styles.addComment} onSubmit={(e) => void submit(e)} id="comment">
      <label htmlFor={`comment-${postId}`} className="visually-hidden">
        Add a comment
      </label>
      <textarea
        ref={input}
        id={`comment-${postId}`}
        className={styles.commentInput}
        placeholder="Add a comment…"
        rows={1}
        value={text}
        aria-invalid={error || used > MAX_COMMENT ? true : undefined}
        aria-describedby={error ? `comment-${postId}-error` : undefined}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          // Enter posts, Shift+Enter is a new line (as in a chat).
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            void submit();
          }
        }}
      />
      {used > MAX_COMMENT - 100 && <span className={`${styles.commentCount} ${used > MAX_COMMENT ? styles.over : ''}`}>{MAX_COMMENT - used}</span>}
      <button type="submit" className={styles.postButton} disabled={loading || !text.trim() || used > MAX_COMMENT}>
        {loading ? 'Posting…' : 'Post'}
      </button>
      {error && (
        <p id={`comment-${postId}-error`} className={styles.commentError} role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
