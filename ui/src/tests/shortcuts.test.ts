import { afterEach, describe, expect, test, vi } from 'vitest';
import { dispatch, isTypingTarget, keyName, type Binding } from '../lib/shortcuts';

function press(target: Element, init: KeyboardEventInit): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  Object.defineProperty(e, 'target', { value: target });
  return e;
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('shortcut dispatcher', () => {
  test('plain keys do nothing while typing in a field', () => {
    const input = document.createElement('input');
    const textarea = document.createElement('textarea');
    document.body.append(input, textarea);
    const run = vi.fn();
    const bindings: Binding[] = [{ key: 'n', run }, { key: '/', run }, { key: '[', run }];
    expect(dispatch(press(input, { key: 'n' }), bindings)).toBe(false);
    expect(dispatch(press(textarea, { key: '/' }), bindings)).toBe(false);
    expect(dispatch(press(input, { key: '[' }), bindings)).toBe(false);
    expect(run).not.toHaveBeenCalled();
  });

  test('plain keys work outside fields; Ctrl and Alt ones work everywhere', () => {
    const input = document.createElement('input');
    document.body.append(input);
    const newBooking = vi.fn();
    const lock = vi.fn();
    const nav = vi.fn();
    const bindings: Binding[] = [{ key: 'n', run: newBooking }, { key: 'Ctrl+l', run: lock, global: true }, { key: 'Alt+2', run: nav }];
    expect(dispatch(press(document.body, { key: 'n' }), bindings)).toBe(true);
    expect(dispatch(press(input, { key: 'l', ctrlKey: true }), bindings)).toBe(true);
    expect(dispatch(press(input, { key: '™', code: 'Digit2', altKey: true }), bindings)).toBe(true);
    expect(newBooking).toHaveBeenCalledTimes(1);
    expect(lock).toHaveBeenCalledTimes(1);
    expect(nav).toHaveBeenCalledTimes(1);
  });

  test('only global shortcuts fire while a dialog is open', () => {
    const run = vi.fn();
    const save = vi.fn();
    const bindings: Binding[] = [{ key: 't', run }, { key: 'Ctrl+s', run: save, global: true }];
    dispatch(press(document.body, { key: 't' }), bindings, true);
    dispatch(press(document.body, { key: 's', ctrlKey: true }), bindings, true);
    expect(run).not.toHaveBeenCalled();
    expect(save).toHaveBeenCalledTimes(1);
  });

  test('key names', () => {
    expect(keyName(new KeyboardEvent('keydown', { key: '?', shiftKey: true }))).toBe('?');
    expect(keyName(new KeyboardEvent('keydown', { key: 'K', ctrlKey: true, shiftKey: true }))).toBe('Ctrl+k');
    expect(keyName(new KeyboardEvent('keydown', { key: 'Escape' }))).toBe('Escape');
    const checkbox = document.createElement('input');
    checkbox.type = 'checkbox';
    expect(isTypingTarget(checkbox)).toBe(false);
    expect(isTypingTarget(document.createElement('select'))).toBe(true);
  });
});
