/**
 * Fix for a race in `@libp2p/webrtc` 6.0.33 (the newest published), applied when vite bundles the page, so
 * node_modules is never edited and no install hook is needed.
 *
 * In `private-to-private/initiate-connection.js`, once the peer connection reports `connected`, the dialer
 * waits for the `'open'` event of its `init` data channel, closes it, and waits for `'close'`. The recipient
 * may already have opened AND closed that channel by then: `'open'` never fires again and the dial hangs
 * until its timeout (about 1 dial in 7 between two tabs on loopback). The fix waits only while the channel
 * is still `connecting` (for `'open'` or `'close'`, whichever comes), closes it only if it is open, and waits
 * for `'close'` only if it is not closed yet. Verified on loopback (see /work/shared/PLATFORM.md).
 *
 * When the upstream code changes (a fixed release), the pattern no longer matches and the build prints a
 * warning instead of patching: check whether the race is gone, then delete this patch.
 */
export const WEBRTC_PATCH_FILE = /@libp2p[\\/]webrtc[\\/]dist[\\/]src[\\/]private-to-private[\\/]initiate-connection\.js$/

const BROKEN = `        if (channel.readyState !== 'open') {
            log.trace('wait for init channel to open');
            await pEvent(channel, 'open', {
                signal
            });
        }
        log.trace('closing init channel');
        channel.close();
        // wait for init channel to close before proceeding, otherwise the channel
        // id can be reused before both sides have seen the channel close
        log.trace('waiting for init channel to close');
        await pEvent(channel, 'close', {
            signal
        });`

const FIXED = `        // edge-grid patch (browser-peer/patches/webrtc-init-channel.ts): the remote may have opened and
        // closed the init channel already; only wait for events that can still happen
        if (channel.readyState === 'connecting') {
            log.trace('wait for init channel to open');
            await pEvent(channel, ['open', 'close'], {
                signal
            });
        }
        if (channel.readyState === 'open') {
            log.trace('closing init channel');
            channel.close();
        }
        if (channel.readyState !== 'closed') {
            // wait for init channel to close before proceeding, otherwise the channel
            // id can be reused before both sides have seen the channel close
            log.trace('waiting for init channel to close');
            await pEvent(channel, 'close', {
                signal
            });
        }`

export type PatchResult = { readonly patched: true, readonly code: string } | { readonly patched: false, readonly reason: string }

/** Returns the fixed source, or why it could not be fixed. Line endings are normalised first. */
export function patchInitiateConnection (source: string): PatchResult {
  const code = source.replace(/\r\n/g, '\n')
  if (code.includes('edge-grid patch')) return { patched: true, code }
  const at = code.indexOf(BROKEN)
  if (at < 0) return { patched: false, reason: 'the init-channel wait in initiate-connection.js is not the 6.0.33 code any more' }
  if (code.indexOf(BROKEN, at + 1) >= 0) return { patched: false, reason: 'the init-channel wait appears twice' }
  return { patched: true, code: code.slice(0, at) + FIXED + code.slice(at + BROKEN.length) }
}
