import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PROJECT_ROOT } from './paths.js';

/**
 * NodejsFunction silently falls back to bundling inside Docker when it cannot find esbuild, which fails on
 * machines without a Docker engine (and is slow where there is one). Fail early and say why instead.
 */
export function assertLocalEsbuild(resolve: (id: string) => string = createRequire(import.meta.url).resolve): void {
  try {
    resolve('esbuild');
  } catch {
    throw new Error('esbuild is not installed (it is a devDependency: run `npm ci`); the Lambda bundles must be built locally, not in Docker.');
  }
}

/**
 * How every Lambda of this project is built and run: a handler written in lambdas/ (exports `handler`),
 * bundled by the local esbuild into one ESM file, on Node 24 / ARM64.
 */
export function projectLambdaProps(entry: string): NodejsFunctionProps {
  assertLocalEsbuild();
  return {
    entry,
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    // JSON log format so that Lambda's own START/END/REPORT lines obey a level: at WARN they are left out, a
    // fifth of the indexer's log bytes per request (docs/cost.md; duration and errors are Lambda metrics
    // anyway). The handlers' Powertools logs and EMF records are JSON lines already; INFO matches LOG_LEVEL.
    loggingFormat: lambda.LoggingFormat.JSON,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    bundling: {
      // The project is ESM; near-api-js and @noble are ESM-only. The banner gives CommonJS dependencies
      // bundled into the ESM output a working `require`.
      format: OutputFormat.ESM,
      target: 'node24',
      mainFields: ['module', 'main'],
      banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      // Bundle the AWS SDK too: the versions pinned in package-lock.json run, not whatever the runtime ships.
      externalModules: [],
      minify: true,
      sourceMap: true,
      // esbuild is a devDependency; never fall back to a Docker build.
      forceDockerBundling: false,
    },
  };
}
