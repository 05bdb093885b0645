import type { BenchSuite } from './records.js';
import { eddsaSignBench } from './eddsa-sign.js';
import { ecdsaSignSuite } from './ecdsa-sign.js';
import { ecdsaTriplesSuite } from './ecdsa-triples.js';
import { indexerBenchSuite } from './indexer.js';
import { lakeFollowerSuite } from './lake-follower.js';
import { e2eSigningSuite } from './e2e.js';
import { devnetContractCallsSuite } from './devnet-contract-calls.js';

/** Every benchmark suite, in the order they run. Each issue adds its own here. */
export const BENCH_SUITES: readonly BenchSuite[] = [eddsaSignBench, ecdsaSignSuite, ecdsaTriplesSuite, indexerBenchSuite, lakeFollowerSuite, devnetContractCallsSuite, e2eSigningSuite];
