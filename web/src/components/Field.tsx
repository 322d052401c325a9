import { Eye, EyeOff } from 'lucide-react';
import { useId, useState, type InputHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import styles from './Field.module.css';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  error?: string | undefined;
  hint?: string;
}

/** A labelled input with its error right under it (announced, and tied by aria-describedby). */
export function Field({ label, error, hint, type = 'text', ...input }: FieldProps) {
  const id = useId();
  const [shown, setShown] = useState(false);
  const password = type === 'password';
  // The hint makes way for the error: only what is shown describes the field.
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={styles.field}>
      <label htmlFor={id} className={styles.label}>
        {label}
      </label>
      <div className={`${styles.control} ${error ? styles.invalid : ''}`}>
        <input id={id} type={password && shown ? 'text' : type} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
        {password && (
          <button type="button" className={styles.reveal} onClick={() => setShown((v) => !v)} aria-label={shown ? 'Hide password' : 'Show password'} aria-pressed={shown}>
            {shown ? <EyeOff size={18} aria-hidden="true" /> : <Eye size={18} aria-hidden="true" />}
          </button>
        )}
      </div>
      {hint && !error && (
        <p id={`${id}-hint`} className={styles.hint}>
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className={styles.error} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface TextAreaProps extends Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> {
  label: string;
  error?: string | undefined;
  counter?: { used: number; max: number };
  hideLabel?: boolean;
}

export function TextArea({ label, error, counter, hideLabel = false, ...area }: TextAreaProps) {
  const id = useId();
  const over = counter ? counter.used > counter.max : false;
  const describedBy = [error ? `${id}-error` : null, counter ? `${id}-count` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={styles.field}>
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : styles.label}>
        {label}
      </label>
      <div className={`${styles.control} ${error || over ? styles.invalid : ''}`}>
        <textarea id={id} aria-invalid={error || over ? true : undefined} aria-describedby={describedBy} {...area} />
      </div>
      <div className={styles.below}>
        {error ? (
          <p id={`${id}-error`} className={styles.error} role="alert">
            {error}
          </p>
        ) : (
          <span />
        )}
        {counter && (
          <p id={`${id}-count`} className={`${styles.counter} ${over ? styles.over : ''}`} aria-live={over ? 'polite' : 'off'}>
            {counter.used.toLocaleString('en')} / {counter.max.toLocaleString('en')}
            {over && <span className="visually-hidden"> characters: too long</span>}
          </p>
        )}
      </div>
    </div>
  );
}
