export { StockpileRequestRefused, StockpileRunFailed } from './errors.js';
export { Stockpile, type OwnerRunReport, type StockpileOptions, type TakenPresignature } from './stockpile.js';
export type { ShareAuditReport } from './share-audit.js';
