import { describe, expect, it } from 'vitest';
import { TypedEvents } from '../../../packages/client/src/events.js';

type Events = { ping: [n: number]; done: [] };

describe('TypedEvents', () => {
  it('runs a listener once per event even when it was added twice; the remover removes it', () => {
    const events = new TypedEvents<Events>();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    const remove = events.on('ping', listener);
    events.on('ping', listener);
    events.emit('ping', 1);
    remove();
    events.emit('ping', 2);
    expect(seen).toEqual([1]);
  });

  it('once listeners run for one event only', () => {
    const events = new TypedEvents<Events>();
    let count = 0;
    events.once('done', () => count++);
    events.emit('done');
    events.emit('done');
    expect(count).toBe(1);
  });

  it('a throwing listener does not stop the others and its error is reported', () => {
    const errors: unknown[] = [];
    const events = new TypedEvents<Events>((err) => errors.push(err));
    const seen: number[] = [];
    events.on('ping', () => {
      throw new Error('listener bug');
    });
    events.on('ping', (n) => seen.push(n));
    expect(() => events.emit('ping', 7)).not.toThrow();
    expect(seen).toEqual([7]);
    expect(errors).toMatchObject([{ message: 'listener bug' }]);
  });
});
