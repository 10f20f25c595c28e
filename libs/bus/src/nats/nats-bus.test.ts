import { realServers } from '@flywheel/testing';
import { describeEventBusContract } from '../../test/event-bus-contract.ts';
import { natsHarness } from '../../test/nats-test-harness.ts';
import { describeUnreachableBroker } from '../../test/unreachable-broker.ts';
import { createNatsBus } from './nats-bus.ts';

describeEventBusContract('nats', () => natsHarness(realServers().natsUrl));

describeUnreachableBroker('nats', () => createNatsBus({ url: 'nats://127.0.0.1:1' }));
