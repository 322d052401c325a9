import { ChevronLeft, ChevronRight, Heart } from 'lucide-react';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import styles from './Carousel.module.css';

export interface CarouselProps {
  /** One element per slide (a photo). */
  slides: ReactNode[];
  /** Names the carousel for screen readers ("Photos by @ada"). */
  label: string;
  /** Width / height of the frame. */
  aspectRatio: number;
  /** A double tap (or double click) on a photo. */
  onDoubleTap?: () => void;
}

const DOUBLE_TAP_MS = 320;

/**
 * Photos side by side in a scroll-snapping strip: swipe (native scrolling, with its momentum),
 * arrow buttons, the keyboard's arrow keys, and dots that say where you are.
 */
export function Carousel({ slides, label, aspectRatio, onDoubleTap }: CarouselProps) {
  const track = useRef<HTMLDivElement>(null);
  const [index, setIndex] = useState(0);
  const [burst, setBurst] = useState(0);
  const lastTap = useRef<{ at: number; x: number; y: number } | null>(null);
  const count = slides.length;

  const go = useCallback(
    (to: number) => {
      const strip = track.current;
      if (!strip) return;
      const target = Math.max(0, Math.min(count - 1, to));
      strip.scrollTo({ left: target * strip.clientWidth, behavior: 'smooth' });
    },
    [count],
  );

  useEffect(() => {
    const strip = track.current;
    if (!strip) return;
    let frame = 0;
    const onScroll = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setIndex(Math.round(strip.scrollLeft / Math.max(1, strip.clientWidth))));
    };
    strip.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      strip.removeEventListener('scroll', onScroll);
      cancelAnimationFrame(frame);
    };
  }, []);

  const onClick = (event: React.MouseEvent) => {
    if (!onDoubleTap) return;
    const now = performance.now();
    const previous = lastTap.current;
    if (previous && now - previous.at < DOUBLE_TAP_MS && Math.hypot(event.clientX - previous.x, event.clientY - previous.y) < 40) {
      lastTap.current = null;
      setBurst((n) => n + 1);
      onDoubleTap();
    } else lastTap.current = { at: now, x: event.clientX, y: event.clientY };
  };

  return (
    <div
      className={styles.carousel}
      role="region"
      aria-roledescription="carousel"
      aria-label={count > 1 ? `${label}, ${count} photos` : label}
      style={{ aspectRatio: String(aspectRatio) }}
      onKeyDown={(event) => {
        if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
        event.preventDefault();
        go(index + (event.key === 'ArrowRight' ? 1 : -1));
      }}
    >
      {/* The strip scrolls, so it takes the focus (its arrow keys are handled above). */}
      <div ref={track} className={`${styles.track} ${count > 1 ? '' : styles.single}`} tabIndex={count > 1 ? 0 : undefined} onClick={onClick}>
        {slides.map((slide, i) => (
          <div
            key={i}
            className={styles.slide}
            role={count > 1 ? 'group' : undefined}
            aria-roledescription={count > 1 ? 'slide' : undefined}
            aria-label={count > 1 ? `${i + 1} of ${count}` : undefined}
            aria-hidden={count > 1 && i !== index ? true : undefined}
          >
            {slide}
          </div>
        ))}
      </div>
      {burst > 0 && (
        <span key={burst} className={styles.burst} aria-hidden="true">
          <Heart size={96} fill="currentColor" strokeWidth={0} />
        </span>
      )}
      {count > 1 && (
        <>
          {index > 0 && (
            <button type="button" className={`${styles.arrow} ${styles.prev}`} aria-label="Previous photo" onClick={() => go(index - 1)}>
              <ChevronLeft size={18} aria-hidden="true" />
            </button>
          )}
          {index < count - 1 && (
            <button type="button" className={`${styles.arrow} ${styles.next}`} aria-label="Next photo" onClick={() => go(index + 1)}>
              <ChevronRight size={18} aria-hidden="true" />
            </button>
          )}
          <span className={styles.counter} aria-live="polite">
            {index + 1}/{count}
          </span>
          <div className={styles.dots} aria-hidden="true">
            {slides.map((_, i) => (
              <span key={i} className={`${styles.dot} ${i === index ? styles.active : ''}`} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}
