/** `headroom simulate SCENARIO.yaml`: the guard against a simulated machine (docs/scenarios.md). */
import type { Command } from 'commander';
import { loadSetup, type GlobalOptions, type Surroundings } from '../../compose.js';
import { scenarioConfig } from '../../sim/config.js';
import { renderSimulation } from '../../sim/render.js';
import { loadScenario } from '../../sim/scenario.js';
import { simulate } from '../../sim/simulate.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';

/** Adds `simulate`. */
export function registerSimulate(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  program
    .command('simulate')
    .description('run the guard on a simulated machine and Ollama, from a scenario file, and say whether it locks up')
    .argument('<scenario>', 'a scenario YAML file (see docs/scenarios.md and test/scenarios/)')
    .option('--json', 'print {"scenario", "guard", "timeline", "summary"} as JSON')
    .option('--no-guard', 'run without the guard, to see what happens without headroom')
    .addHelpText('after', '\nExit status is 0 whether or not the machine locks up; read "lockup" in the summary.')
    .action(async (file: string, options: { json?: boolean; guard: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const scenario = await loadScenario(file);
      const config = scenarioConfig(setup.config, scenario.config, file);
      const result = await simulate(scenario, config, { guard: options.guard });
      io.stdout(options.json ? `${JSON.stringify(result, null, 2)}\n` : renderSimulation(result));
      outcome.exitCode = ExitCode.ok;
    });
}
