// `ws` ships no types; the polyfill needs only its client class (the same one its listener hands libp2p).
declare module 'ws' {
  export const WebSocket: typeof globalThis.WebSocket
}
