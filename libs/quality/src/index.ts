export {
  checkExpectations,
  type ExpectationRow,
  type ExpectationsOutcome,
  type ExpectationValue,
  type RejectedRow,
  settleNullTolerance,
  type Violation,
  violationOf,
} from './check-expectations.ts';
export {
  type ExpectationActionName,
  type ExpectationColumn,
  type ExpectationOwner,
  type ExpectationRecord,
  expectationsOf,
  toExpectationMessage,
} from './expectation-records.ts';
export { violationFields } from './violation-fields.ts';
export {
  countChecked,
  countViolation,
  emptyTally,
  type ViolationTally,
  violated,
} from './violation-tally.ts';
