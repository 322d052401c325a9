import { useMutation } from '@apollo/client/react';
import { AlertCircle, ArrowDown, ArrowUp, Check, ImagePlus, Plus, RotateCcw, X } from 'lucide-react';
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { useNavigate } from 'react-router';
import { useViewerSession } from '../../app/services.tsx';
import { TextArea } from '../../components/Field.tsx';
import { useToast } from '../../components/Toasts.tsx';
import { graphql } from '../../gql/index.ts';
import { refuseFile, useUploader, type RunningUpload } from '../../hooks/useUploader.ts';
import { apiErrors, describeError, splitFieldErrors } from '../../lib/errors.ts';
import { charCount } from '../../lib/format.ts';
import { prependToConnection } from '../../lib/cache.ts';
import { addPendingPost } from '../../lib/pending-posts.ts';
import styles from './compose.module.css';

const CreatePost = graphql(`
  mutation CreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
      ...PostCard_post
    }
  }
`);

// The media service's limits (subgraphs/media/src/posts.ts).
export const MAX_PHOTOS = 10;
export const MAX_CAPTION = 2200;
const MAX_ALT = 1000;
/** Uploads running at once; the rest wait their turn. */
const PARALLEL_UPLOADS = 3;

interface Item {
  key: string;
  file: File;
  preview: string;
  alt: string;
  status: 'queued' | 'uploading' | 'done' | 'failed';
  progress: number;
  uploadId: string | null;
  error: string | null;
}

let nextKey = 1;

export function Component() {
  const { user } = useViewerSession();
  const navigate = useNavigate();
  const toast = useToast();
  const upload = useUploader();
  const [items, setItems] = useState<Item[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [caption, setCaption] = useState('');
  const [refused, setRefused] = useState<string[]>([]);
  const [errors, setErrors] = useState<{ fields: Partial<Record<'caption' | 'uploadIds' | 'altTexts', string>>; general: string[] }>({ fields: {}, general: [] });
  const [announcement, setAnnouncement] = useState('');
  const [dragging, setDragging] = useState<string | null>(null);
  const [dropActive, setDropActive] = useState(false);
  const running = useRef(new Map<string, RunningUpload>());
  const handedOver = useRef(false);
  const picker = useRef<HTMLInputElement>(null);
  const [createPost, { loading: sharing }] = useMutation(CreatePost);

  const patch = (key: string, change: Partial<Item>) => setItems((list) => list.map((item) => (item.key === key ? { ...item, ...change } : item)));

  // Start queued uploads while fewer than PARALLEL_UPLOADS run.
  useEffect(() => {
    const busy = items.filter((item) => item.status === 'uploading').length;
    for (const item of items.filter((i) => i.status === 'queued' && !running.current.has(i.key)).slice(0, Math.max(0, PARALLEL_UPLOADS - busy))) {
      patch(item.key, { status: 'uploading', progress: 0, error: null });
      const handle = upload(item.file, (progress) => patch(item.key, { progress }));
      running.current.set(item.key, handle);
      handle.done.then(
        (uploadId) => patch(item.key, { status: 'done', progress: 1, uploadId }),
        (error: unknown) => running.current.has(item.key) && patch(item.key, { status: 'failed', error: describeError(error) }),
      );
      handle.done.finally(() => running.current.delete(item.key)).catch(() => {});
    }
  }, [items, upload]);

  // Leaving the composer cancels its uploads and frees the previews (unless a post now shows them).
  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  });
  useEffect(
    () => () => {
      for (const handle of running.current.values()) handle.abort();
      running.current.clear();
      if (!handedOver.current) for (const item of itemsRef.current) URL.revokeObjectURL(item.preview);
    },
    [],
  );

  const add = (files: FileList | File[]) => {
    const problems: string[] = [];
    const accepted: Item[] = [];
    for (const file of files) {
      const problem = refuseFile(file);
      if (problem) problems.push(problem);
      else if (items.length + accepted.length >= MAX_PHOTOS) {
        problems.push(`A post has at most ${MAX_PHOTOS} photos: “${file.name}” was left out.`);
      } else {
        accepted.push({ key: `p${nextKey++}`, file, preview: URL.createObjectURL(file), alt: '', status: 'queued', progress: 0, uploadId: null, error: null });
      }
    }
    setRefused(problems);
    if (accepted.length > 0) {
      setItems((list) => [...list, ...accepted]);
      setSelected((current) => current ?? accepted[0]!.key);
    }
  };

  const remove = (key: string) => {
    running.current.get(key)?.abort();
    running.current.delete(key);
    const item = items.find((i) => i.key === key);
    if (item) URL.revokeObjectURL(item.preview);
    const rest = items.filter((i) => i.key !== key);
    setItems(rest);
    if (selected === key) setSelected(rest[0]?.key ?? null);
    setAnnouncement('Photo removed.');
  };

  const move = (key: string, to: number) => {
    const from = items.findIndex((i) => i.key === key);
    if (from < 0 || to < 0 || to >= items.length || from === to) return;
    const list = [...items];
    const [item] = list.splice(from, 1);
    list.splice(to, 0, item!);
    setItems(list);
    setAnnouncement(`Photo moved to position ${to + 1} of ${list.length}.`);
  };

  const share = async () => {
    setErrors({ fields: {}, general: [] });
    try {
      const { data } = await createPost({
        variables: {
          input: {
            uploadIds: items.map((item) => item.uploadId!),
            caption: caption.trim() || null,
            altTexts: items.map((item) => item.alt.trim() || null),
          },
        },
        update(cache, { data: created }) {
          const post = created?.createPost;
          if (!post) return;
          // On top of the author's feed at once (the server's feed gets it once it is processed).
          const ref = cache.identify({ __typename: 'Post', id: post.id });
          if (ref) prependToConnection(cache, 'feed', { __ref: ref }, 'PostEdge');
        },
      });
      const post = data?.createPost;
      if (!post) throw new Error('The post was not created.');
      handedOver.current = true;
      addPendingPost(post.id, { imageCount: items.length, previews: items.map((item) => ({ url: item.preview, alt: item.alt })) });
      toast.info(post.media.length < items.length ? 'Shared. Your photos are being processed.' : 'Shared.');
      void navigate('/');
    } catch (error) {
      const split = splitFieldErrors(apiErrors(error), ['caption', 'uploadIds', 'altTexts'] as const);
      setErrors(split.general.length || Object.keys(split.fields).length ? split : { fields: {}, general: [describeError(error)] });
    }
  };

  const used = charCount(caption);
  const uploading = items.some((item) => item.status === 'queued' || item.status === 'uploading');
  const failed = items.some((item) => item.status === 'failed');
  const altTooLong = items.some((item) => charCount(item.alt) > MAX_ALT);
  const canShare = items.length > 0 && !uploading && !failed && used <= MAX_CAPTION && !altTooLong && !sharing;
  const current = items.find((item) => item.key === selected) ?? items[0] ?? null;
  const hint = items.length === 0 ? null : uploading ? 'Waiting for uploads to finish…' : failed ? 'Retry or remove the photos that failed.' : used > MAX_CAPTION ? 'The caption is too long.' : null;

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDropActive(false);
    if (event.dataTransfer.files.length > 0) add(event.dataTransfer.files);
  };

  return (
    <div className={styles.page}>
      <header className={styles.top}>
        <h1 className={styles.title}>New post</h1>
        <div className={styles.shareBox}>
          {hint && (
            <span className={styles.hint} id="share-hint">
              {hint}
            </span>
          )}
          <button type="button" className={styles.share} disabled={!canShare} aria-describedby={hint ? 'share-hint' : undefined} onClick={() => void share()}>
            {sharing ? 'Sharing…' : 'Share'}
          </button>
        </div>
      </header>

      <input
        ref={picker}
        type="file"
        multiple
        accept="image/jpeg,image/png,image/webp,image/heic,image/heif,image/avif"
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="file-input"
        onChange={(e) => {
          if (e.target.files) add(e.target.files);
          e.target.value = '';
        }}
      />

      {refused.length > 0 && (
        <div className={styles.refused} role="alert">
          <AlertCircle size={18} aria-hidden="true" />
          <ul>
            {refused.map((text) => (
              <li key={text}>{text}</li>
            ))}
          </ul>
          <button type="button" className={styles.dismiss} aria-label="Dismiss" onClick={() => setRefused([])}>
            <X size={16} aria-hidden="true" />
          </button>
        </div>
      )}
      {errors.general.length > 0 && (
        <p className={styles.error} role="alert">
          {errors.general.join(' ')}
        </p>
      )}
      {(errors.fields.uploadIds || errors.fields.altTexts) && (
        <p className={styles.error} role="alert">
          {[errors.fields.uploadIds, errors.fields.altTexts].filter(Boolean).join(' ')}
        </p>
      )}

      <div className={styles.layout}>
        <section className={styles.mediaPane} aria-label="Photos">
          {items.length === 0 ? (
            <div
              className={`${styles.drop} ${dropActive ? styles.dropActive : ''}`}
              onDragOver={(e) => (e.preventDefault(), setDropActive(true))}
              onDragLeave={() => setDropActive(false)}
              onDrop={onDrop}
            >
              <ImagePlus size={72} strokeWidth={1} aria-hidden="true" />
              <p className={styles.dropTitle}>Drag photos here</p>
              <p className={styles.dropText}>Up to {MAX_PHOTOS} photos: JPEG, PNG, WebP, HEIC or AVIF, at most 20 MB each.</p>
              <button type="button" className={styles.pick} onClick={() => picker.current?.click()}>
                Select from your device
              </button>
            </div>
          ) : (
            <>
              {current && (
                <div className={styles.stage}>
                  <img src={current.preview} alt={current.alt || `Photo ${items.indexOf(current) + 1}`} className={styles.stageImage} />
                </div>
              )}
              <ol className={styles.strip} aria-label="Order of the photos" onDragOver={(e) => (e.preventDefault(), setDropActive(true))} onDrop={onDrop}>
                {items.map((item, index) => (
                  <li
                    key={item.key}
                    className={`${styles.thumb} ${item.key === current?.key ? styles.selected : ''} ${dragging === item.key ? styles.dragging : ''}`}
                    draggable
                    onDragStart={(e) => {
                      setDragging(item.key);
                      e.dataTransfer.effectAllowed = 'move';
                    }}
                    onDragEnd={() => setDragging(null)}
                    onDragOver={(e) => {
                      if (dragging && dragging !== item.key) {
                        e.preventDefault();
                        e.stopPropagation();
                      }
                    }}
                    onDrop={(e) => {
                      if (!dragging) return;
                      e.preventDefault();
                      e.stopPropagation();
                      move(dragging, index);
                      setDragging(null);
                    }}
                  >
                    <button type="button" className={styles.thumbButton} aria-label={`Show photo ${index + 1}`} aria-pressed={item.key === current?.key} onClick={() => setSelected(item.key)}>
                      <img src={item.preview} alt="" />
                    </button>
                    <span className={styles.position} aria-hidden="true">
                      {index + 1}
                    </span>
                    <button type="button" className={styles.remove} aria-label={`Remove photo ${index + 1}`} onClick={() => remove(item.key)}>
                      <X size={14} aria-hidden="true" />
                    </button>
                    <UploadStatus item={item} index={index} onRetry={() => patch(item.key, { status: 'queued', error: null, progress: 0 })} />
                  </li>
                ))}
                {items.length < MAX_PHOTOS && (
                  <li className={styles.addTile}>
                    <button type="button" className={styles.addButton} onClick={() => picker.current?.click()} aria-label="Add photos">
                      <Plus size={26} aria-hidden="true" />
                    </button>
                  </li>
                )}
              </ol>
            </>
          )}
        </section>

        <section className={styles.details} aria-label="Details">
          <TextArea
            label="Caption"
            placeholder="Write a caption… #hashtags become links"
            rows={5}
            value={caption}
            error={errors.fields.caption}
            counter={{ used, max: MAX_CAPTION }}
            onChange={(e) => setCaption(e.target.value)}
          />
          {items.length > 0 && (
            <div className={styles.alts}>
              <h2 className={styles.altTitle}>Alt text</h2>
              <p className={styles.altHelp}>Describe each photo for people who can’t see it.</p>
              <ol className={styles.altList}>
                {items.map((item, index) => (
                  <li key={item.key} className={styles.altRow}>
                    <img src={item.preview} alt="" className={styles.altThumb} />
                    <label className="visually-hidden" htmlFor={`alt-${item.key}`}>
                      Alt text for photo {index + 1}
                    </label>
                    <input
                      id={`alt-${item.key}`}
                      className={styles.altInput}
                      placeholder={`Photo ${index + 1}: what is in it?`}
                      value={item.alt}
                      aria-invalid={charCount(item.alt) > MAX_ALT || undefined}
                      onChange={(e) => patch(item.key, { alt: e.target.value })}
                    />
                    <span className={styles.moveButtons}>
                      <button type="button" aria-label={`Move photo ${index + 1} earlier`} disabled={index === 0} onClick={() => move(item.key, index - 1)}>
                        <ArrowUp size={16} aria-hidden="true" />
                      </button>
                      <button type="button" aria-label={`Move photo ${index + 1} later`} disabled={index === items.length - 1} onClick={() => move(item.key, index + 1)}>
                        <ArrowDown size={16} aria-hidden="true" />
                      </button>
                    </span>
                  </li>
                ))}
              </ol>
            </div>
          )}
          <p className={styles.as}>
            Sharing as <strong>@{user.username}</strong>
          </p>
        </section>
      </div>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
    </div>
  );
}

function UploadStatus({ item, index, onRetry }: { item: Item; index: number; onRetry: () => void }) {
  if (item.status === 'done') {
    return (
      <span className={styles.done} role="img" aria-label={`Photo ${index + 1} uploaded`}>
        <Check size={14} aria-hidden="true" />
      </span>
    );
  }
  if (item.status === 'failed') {
    return (
      <span className={styles.failed}>
        <span className={styles.failedText} role="alert">
          {item.error}
        </span>
        <button type="button" className={styles.retry} onClick={onRetry} aria-label={`Retry photo ${index + 1}`}>
          <RotateCcw size={14} aria-hidden="true" />
        </button>
      </span>
    );
  }
  return (
    <progress className={styles.progress} max={1} value={item.status === 'queued' ? 0 : item.progress} aria-label={`Uploading photo ${index + 1}`}>
      {Math.round(item.progress * 100)}%
    </progress>
  );
}
