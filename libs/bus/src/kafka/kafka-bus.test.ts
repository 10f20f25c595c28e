import { realServers } from '@flywheel/testing';
import { describeEventBusContract } from '../../test/event-bus-contract.ts';
import { kafkaHarness } from '../../test/kafka-test-harness.ts';
import { describeUnreachableBroker } from '../../test/unreachable-broker.ts';
import { createKafkaBus } from './kafka-bus.ts';

describeEventBusContract('kafka', () => kafkaHarness(realServers()));

describeUnreachableBroker('kafka', () => createKafkaBus({ brokers: ['127.0.0.1:1'] }));
