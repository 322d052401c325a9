import type { ReactNode } from 'react';
import { Logo } from '../../app/Logo.tsx';
import styles from './Auth.module.css';

/** The signed-out pages: a card with the form, and beside it on wide screens, what Shutter is. */
export function AuthLayout({ title, children, footer }: { title: string; children: ReactNode; footer: ReactNode }) {
  return (
    <main className={styles.page}>
      <section className={styles.hero} aria-hidden="true">
        <div className={styles.tiles}>
          {Array.from({ length: 9 }, (_, i) => (
            <span key={i} className={styles.tile} style={{ animationDelay: `${i * 0.4}s` }} />
          ))}
        </div>
        <p className={styles.tagline}>
          See the moments
          <br />
          your people share.
        </p>
      </section>
      <div className={styles.column}>
        <div className={styles.card}>
          <div className={styles.logo}>
            <Logo />
          </div>
          <h1 className={styles.title}>{title}</h1>
          {children}
        </div>
        <div className={`${styles.card} ${styles.footer}`}>{footer}</div>
      </div>
    </main>
  );
}
