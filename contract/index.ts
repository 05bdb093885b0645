/** The contracts a chain deploys, each a {@link ContractDefinition} over the host interface in host.ts. */
export { mpcSignerContract } from './mpc-signer/contract.js';
export { fastAuthContract } from './fast-auth/fast-auth.js';
export { jwtGuardRouterContract } from './fast-auth/jwt-guard-router.js';
export { auth0GuardContract, jwtGuardContract } from './fast-auth/jwt-guard.js';
