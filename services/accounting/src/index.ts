export { startAccounting, type AccountingOptions, type RunningAccounting } from './accounting-service.js';
