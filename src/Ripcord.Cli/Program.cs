using Ripcord.Cli;
using Ripcord.Cli.Rendering;

return await CliApp.RunAsync(args, Terminal.ForConsole());
