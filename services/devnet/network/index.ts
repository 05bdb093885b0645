/** The devnet's one-command network, without the MPC node processes (services/devnet/README.md). */
export { startLocalNetwork, defaultThreshold, NETWORK_ACCOUNTS, type LocalNetwork, type LocalNetworkProgress, type LocalNetworkStep, type LocalParticipant, type NetworkContracts, type StartLocalNetworkOptions } from './local-network.js';
export { LocalNetworkError } from './errors.js';
export type { MintJwtClaims } from './jwt-issuer.js';
export type { NetworkResources, NetworkResourceNames, OperatorResources, OperatorResourceNames } from './aws-resources.js';
