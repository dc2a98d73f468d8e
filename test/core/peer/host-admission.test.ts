import { it } from 'node:test'
import assert from 'node:assert/strict'
import { HostAdmission } from '../../../core/peer/host-admission.js'

/** How many of `tries` connections from `host` are admitted at once. */
function burst (admission: HostAdmission, host: string, tries: number): number {
  let admitted = 0
  for (let i = 0; i < tries; i++) if (admission.admit(host)) admitted++
  return admitted
}

it('a host with no joined worker gets the base rate and no more, second after second', () => {
  let now = 10_000
  const admission = new HostAdmission({ baseRate: 5, now: () => now })
  assert.equal(burst(admission, '10.0.0.1', 50), 5, 'a burst of one second at the base rate')
  now += 200
  assert.equal(burst(admission, '10.0.0.1', 50), 1, 'refilled at 5 a second: one in 200 ms')
  for (let second = 0; second < 10; second++) {
    now += 1000
    assert.equal(burst(admission, '10.0.0.1', 50), 5, 'a flood that never joins stays at the base rate')
  }
  assert.equal(burst(admission, '10.0.0.2', 50), 5, 'another host has its own budget')
})

it('every joined worker adds to its host\'s rate while it stays, and leaving takes it back', () => {
  let now = 0
  const admission = new HostAdmission({ baseRate: 2, perJoined: 1, now: () => now })
  assert.equal(burst(admission, 'nat', 10), 2)
  admission.joined('nat')
  admission.joined('nat')
  assert.equal(admission.rateOf('nat'), 4)
  now += 1000
  assert.equal(burst(admission, 'nat', 10), 4, 'two joined workers: two more a second')
  for (let i = 0; i < 4; i++) admission.joined('nat')
  now += 1000
  assert.equal(burst(admission, 'nat', 20), 8)
  for (let i = 0; i < 6; i++) admission.left('nat')
  admission.left('nat') // one more leave than joins changes nothing
  assert.equal(admission.rateOf('nat'), 2)
  now += 1000
  assert.equal(burst(admission, 'nat', 20), 2, 'back to the base rate')
})

it('a crowd behind one address that keeps joining grows its rate about exponentially, up to maxRate', () => {
  let now = 0
  const admission = new HostAdmission({ baseRate: 5, maxRate: 400, now: () => now })
  let joined = 0
  let seconds = 0
  // every admitted connection joins within the same 100 ms step: 1,000 volunteers behind one NAT
  while (joined < 1000 && seconds < 60) {
    for (let step = 0; step < 10; step++) {
      now += 100
      const admitted = burst(admission, 'classroom', 1000 - joined)
      for (let i = 0; i < admitted; i++) admission.joined('classroom')
      joined += admitted
    }
    seconds++
  }
  assert.equal(joined, 1000)
  assert.ok(seconds <= 10, `1,000 joined within 10 s of budget (took ${seconds} s)`)
  assert.equal(admission.rateOf('classroom'), 400, 'capped by maxRate')
})

it('idle hosts with nobody joined are forgotten: memory stays bounded by recent hosts', () => {
  let now = 0
  const admission = new HostAdmission({ baseRate: 1, now: () => now })
  for (let i = 0; i < 1000; i++) admission.admit(`10.0.${i >> 8}.${i & 255}`)
  admission.joined('10.0.0.7')
  assert.equal(admission.hosts, 1000)
  now += 120_000
  admission.admit('10.9.9.9')
  assert.equal(admission.hosts, 2, 'only the host with a joined worker and the new one remain')
})

it('refuses a base rate that would admit nobody', () => {
  assert.throws(() => new HostAdmission({ baseRate: 0 }), RangeError)
})
