// Applies the theme and font size preferences to the whole document.
import type { Preferences } from './api';

let media: MediaQueryList | null = null;
let currentTheme: Preferences['theme'] = 'system';

function resolve(theme: Preferences['theme']): 'light' | 'dark' {
  if (theme === 'light' || theme === 'dark') return theme;
  return media?.matches ? 'dark' : 'light';
}

function paint() {
  document.documentElement.dataset.theme = resolve(currentTheme);
}

export function clampFontSize(value: string | number | undefined): number {
  const n = Math.round(Number(value));
  if (!Number.isFinite(n)) return 15;
  return Math.min(28, Math.max(12, n));
}

export function applyPreferences(prefs: Partial<Preferences> | null | undefined): void {
  if (typeof document === 'undefined') return;
  if (!media && typeof window !== 'undefined' && window.matchMedia) {
    media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener?.('change', paint);
  }
  currentTheme = (prefs?.theme as Preferences['theme']) ?? 'system';
  paint();
  document.documentElement.style.fontSize = `${clampFontSize(prefs?.['font-size'] ?? 15)}px`;
}
