// The command line: parses argv, runs one command, returns its exit code. No process.exit here.

import { Command, CommanderError, Option } from 'commander';
import { CONNECTION_FORMATS, type ConnectionFormat } from '../report/connections.js';
import type { HostNetworkPods, IpBlockPods } from '../core/engine/connectivity.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';
import { reach } from './reach.js';
import { diff, type DiffOptions } from './diff.js';
import { DIFF_FORMATS } from '../report/diff.js';
import { explain, type ExplainCliOptions } from './explain.js';
import { EXPLAIN_FORMATS } from '../report/explain.js';
import { lint, type LintCliOptions } from './lint.js';
import { LINT_FORMATS } from '../report/lint.js';
import { LINT_SEVERITIES } from '../core/lint/types.js';
import { SEVERITIES } from '../core/severity.js';
import { CONFIG_FILE } from '../config/load-config.js';
import { audit, AUDIT_FORMATS, type AuditCliOptions } from './audit.js';
import {
  agent,
  status,
  DEFAULT_STATE_DIR,
  DEFAULT_TABLE,
  type AgentCliOptions,
  type StatusCliOptions,
} from './agent.js';

export type { CliIo } from './io.js';

const VERSION = '0.1.0';

/** Runs `bulkhead` with `argv` (without the node and script names). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command('bulkhead')
    .description('Container network security: analyze, audit and enforce Kubernetes NetworkPolicy.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run bulkhead --help for usage)');

  withAnalysisOptions(program.command('reach'))
    .description('List who can talk to whom, on which ports (workloads and external address ranges).')
    .argument('[paths...]', 'manifest files or directories (.yaml, .yml, .json; recursive); - reads stdin')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(CONNECTION_FORMATS).default('txt'),
    )
    .option('--stats', 'build the full model and print counts and time instead of the pair list', false)
    .option('--strict', 'analyse nothing when the input has errors', false)
    .option('--docker', "workloads are this host's running containers (policies from the paths)", false)
    .option(
      '--docker-socket <path>',
      'Docker socket (default: DOCKER_HOST=unix://..., else /var/run/docker.sock)',
    )
    .action(
      async (
        paths: string[],
        options: {
          format: ConnectionFormat;
          ipblockPods: IpBlockPods;
          hostNetwork?: HostNetworkPods;
          podCidr: string[];
          stats: boolean;
          strict: boolean;
          verbose: boolean;
          docker: boolean;
          dockerSocket?: string;
        },
      ) => {
        exitCode = await reach(paths, options, io);
      },
    );

  withAnalysisOptions(program.command('explain'))
    .description(
      'Explain why connections from SRC to DST are allowed or denied: per direction, the tier, policy and rule (file:line).',
    )
    .usage('[options] SRC DST PATH...  |  --all-denied SRC PATH...')
    .argument(
      '<args...>',
      'SRC DST PATH... (SRC/DST: ns/name[Kind], ns/name, name, or an IP); with --all-denied: PATH...',
    )
    .option('--all-denied <src>', 'list every destination SRC can not reach, and the rule that stops it')
    .option('--port <port>', 'explain only this port or range (e.g. 8080 or 8000-8080)')
    .option('--protocol <protocol>', 'explain only this protocol (TCP, UDP, SCTP)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(EXPLAIN_FORMATS).default('txt'))
    .action(async (args: string[], options: ExplainCliOptions) => {
      exitCode = await explain(args, options, io);
    });

  withAnalysisOptions(program.command('diff'))
    .description('Connections added, removed and changed between two versions (paths, or git:REF[:PATH]).')
    .argument('<old>', 'the old version: file, directory, -, or git:REF[:PATH] (PATH at revision REF)')
    .argument('<new>', 'the new version; a bare git:REF reads the path of the other argument')
    .addOption(new Option('-f, --format <format>', 'output format').choices(DIFF_FORMATS).default('txt'))
    .option('--fail-on-new', 'exit 1 when the new version allows a connection the old one did not', false)
    .option('--old-name <name>', 'column name of the old version', 'old')
    .option('--new-name <name>', 'column name of the new version', 'new')
    .option('--strict', 'compare nothing when the input has errors', false)
    .action(async (oldPath: string, newPath: string, options: DiffOptions) => {
      exitCode = await diff(oldPath, newPath, options, io);
    });

  withAnalysisOptions(program.command('lint'))
    .description(
      'Find problems in the policies themselves: dead selectors, redundant or shadowed rules, blocked DNS, ...',
    )
    .argument('[paths...]', 'manifest files or directories (.yaml, .yml, .json; recursive); - reads stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(LINT_FORMATS).default('txt'))
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(
        LINT_SEVERITIES,
      ),
    )
    .option('--list-checks', 'print the catalog of checks and exit', false)
    .option('--strict', 'lint nothing when the input has errors', false)
    .action(async (paths: string[], options: LintCliOptions) => {
      exitCode = await lint(paths, options, io);
    });

  withAnalysisOptions(program.command('audit'))
    .description(
      'Posture findings: exposure and segmentation from the reachability model, RBAC, pod security, images, secrets, Compose.',
    )
    .argument('[paths...]', 'manifest files or directories (.yaml, .yml, .json; recursive); - reads stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(AUDIT_FORMATS).default('table'))
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(
        SEVERITIES,
      ),
    )
    .option('--config <file>', `configuration (default: ${CONFIG_FILE} in the working directory, if present)`)
    .option('--baseline <file>', 'accept the findings recorded in this file: only new ones are reported')
    .option('--write-baseline <file>', 'record the current findings as accepted')
    .option('--list-checks', 'print the catalog of checks and exit', false)
    .option('--strict', 'audit nothing when the input has errors', false)
    .action(async (paths: string[], options: AuditCliOptions) => {
      exitCode = await audit(
        paths,
        { ...options, color: io.color ?? false, version: VERSION },
        io,
        io.today?.() ?? new Date().toISOString().slice(0, 10),
      );
    });

  program
    .command('agent')
    .description(
      'Enforce the policies on this Docker host: compile them to an nftables table of its own and keep it current (root).',
    )
    .option(
      '--policies <dir>',
      'directory of NetworkPolicy / admin policy / Namespace YAML (watched for changes)',
    )
    .option(
      '--docker-socket <path>',
      'Docker socket (default: DOCKER_HOST=unix://..., else /var/run/docker.sock)',
    )
    .option('--table <name>', 'name of the inet table Bulkhead owns', DEFAULT_TABLE)
    .option(
      '--state-dir <dir>',
      'where the agent records what it enforces, for bulkhead status',
      DEFAULT_STATE_DIR,
    )
    .addOption(
      new Option(
        '--fail-mode <mode>',
        'when the Docker inventory cannot be read: closed keeps the rules (and denies new containers), open removes the table',
      )
        .choices(['open', 'closed'])
        .default('closed'),
    )
    .option('--once', 'apply once and exit', false)
    .option('--dry-run', 'print the ruleset instead of applying it', false)
    .option('--uninstall', 'remove the table and the state, exactly what Bulkhead added', false)
    .option('--resync <seconds>', 'reconcile at least this often, in case an event was missed', '30')
    .action(async (options: AgentCliOptions) => {
      exitCode = await agent(options, io);
    });

  program
    .command('status')
    .description('Show what the agent enforces on this host, since when, and what it dropped.')
    .option('--table <name>', 'name of the inet table Bulkhead owns', DEFAULT_TABLE)
    .option('--state-dir <dir>', "the agent's state directory", DEFAULT_STATE_DIR)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['txt', 'json']).default('txt'))
    .action(async (options: StatusCliOptions) => {
      exitCode = await status(options, io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return EXIT_OK;
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr(`bulkhead: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  return exitCode;
}

/**
 * The options every analysing command shares: how ipBlocks and hostNetwork pods are modelled, the pod range,
 * Compose profiles, and informational notes.
 */
function withAnalysisOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--ipblock-pods <mode>',
        'whether ipBlocks match pods by address (match) or only external addresses (ignore)',
      )
        .choices(['match', 'ignore'])
        .default('match'),
    )
    .addOption(
      new Option(
        '--host-network <model>',
        'hostNetwork pods: never selected by policies (node) or selected like other pods (pod); default node with --ipblock-pods match, pod with ignore',
      ).choices(['node', 'pod']),
    )
    .option('--pod-cidr <cidr>', "the cluster's pod address range (repeatable)", collect, [] as string[])
    .option(
      '--profile <name>',
      'Compose profile to enable (repeatable); none: every service',
      collect,
      [] as string[],
    )
    .option('-v, --verbose', 'also print informational notes', false);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
