using MmProxy.Cli;
using MmProxy.Hosting;

// First, before assemblies, the console or threads take descriptors: with too few open files the
// runtime dies without saying why (exit 134), so say it here and exit 1.
if (!KernelLimits.HasEnoughOpenFiles(out long openFiles))
{
    KernelLimits.ReportOpenFileLimitTooLow(openFiles);
    return ExitCodes.Failure;
}

return await CommandLineApp.RunAsync(args).ConfigureAwait(false);
