import { Aperture } from 'lucide-react';
import styles from './Logo.module.css';

export function Logo({ compact = false }: { compact?: boolean }) {
  return (
    <span className={styles.logo}>
      <Aperture className={styles.mark} size={26} strokeWidth={2.2} aria-hidden="true" />
      {!compact && <span className={styles.word}>Shutter</span>}
      {compact && <span className="visually-hidden">Shutter</span>}
    </span>
  );
}
