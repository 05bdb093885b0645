/** Beaver-triple generation with OT-based multiplication; see docs/triples.md. */
export { generateTriples, TRIPLES_PROTOCOL, type TripleGenerationParams } from './triple-generation.js';
