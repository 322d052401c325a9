/** The contract's limits on what media stores, checked where the data enters. */
export const LIMITS = { caption: 2200, comment: 1000, altText: 1000, imagesPerPost: 10, hashtag: 100 } as const;

/** Length as people count it: code points, not UTF-16 units (an emoji is one character). */
export const chars = (text: string) => [...text].length;
