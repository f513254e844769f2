import type { Argv, CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import { print, printJson, info } from '../output.js';

/**
 * `mtdvat sandbox create-test-user`: an organisation test user (userId, password, VRN) from HMRC's
 * Create Test User API, with an application-restricted token. Meant to be mounted under `sandbox`
 * (src/cli/commands/sandbox.ts belongs to the emulator): `.command(createTestUserCommand)`.
 */
interface CreateArgs extends GlobalArgs {
  app: string;
}

export const createTestUserCommand: CommandModule<GlobalArgs, CreateArgs> = {
  command: 'create-test-user',
  describe: 'Create an HMRC sandbox organisation test user (userId, password, VRN) for VAT',
  builder: (y) =>
    y.option('app', { type: 'string', default: 'Sandbox HMRC', describe: 'Web application name (a sandbox one)' }) as unknown as Argv<CreateArgs>,
  handler: async (argv) => {
    const { createOrganisationTestUser } = await import('../../vat/sandbox-apis.js');
    await withContext(argv, async (ctx) => {
      const user = await createOrganisationTestUser(ctx, argv.app, info);
      if (argv.json) return printJson(user);
      // A sandbox test identity (not a real credential): the user needs the password to sign in at HMRC's sandbox.
      print(`Organisation test user created in HMRC's sandbox:`);
      print(`  user ID:  ${user.userId}`);
      print(`  password: ${user.password}`);
      if (user.vrn) print(`  VRN:      ${user.vrn}`);
      if (user.organisationDetails?.name) print(`  name:     ${user.organisationDetails.name}`);
      print('Sign in with these on HMRC\'s sandbox page during `mtdvat auth get-authorization-code`, and use the VRN with `mtdvat vat`.');
    });
  },
};
