/**
 * @module Alerts (Leaf's webhooks): the event catalogue and payload builders, the exact bytes and
 * signatures of a delivery, the retry schedule and circuit breaker (all pure), and the one HTTP
 * sender that calls receivers under the outbound address policy.
 */
export * from './address-policy.js';
export * from './circuit-breaker.js';
export * from './event-catalogue.js';
export * from './http-sender.js';
export * from './retry-schedule.js';
export * from './serialize-alert.js';
export * from './sign-alert.js';
