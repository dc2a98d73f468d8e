/**
 * What libp2p 3 expects from the runtime and Node 20 lacks (both arrived in Node 22):
 * - `Promise.withResolvers`: libp2p and it-queue call it while a node starts, and crash without it;
 * - a global `WebSocket`: `@libp2p/websockets` dials with it (it listens with the `ws` package), and on
 *   Node 20 a `/ws` dial throws a ReferenceError that takes the process down. We install `ws`'s client,
 *   the same class its listener already hands to libp2p.
 * Every Node entry point that loads libp2p imports this module FIRST (`import './net/polyfill.js'` before
 * any libp2p import; ESM evaluates imports in order), and node-peer/net/node.ts imports it too.
 * On Node ≥ 22 it does nothing. The specifier is a literal so that the worker bundle (node-peer/bundle/) carries `ws`.
 */
/// <reference path="./ws.d.ts" />
interface Resolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }

if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T> (): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve']
    let reject!: Resolvers<T>['reject']
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

if (typeof globalThis.WebSocket === 'undefined') {
  const { WebSocket } = await import('ws')
  globalThis.WebSocket = WebSocket
}

export {}
