using MmProxy.Cli;

return await CommandLineApp.RunAsync(args).ConfigureAwait(false);
