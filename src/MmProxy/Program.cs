using MmProxy.Cli;
using MmProxy.Hosting;
using MmProxy.Tcp;

// First, before assemblies, the console or threads take descriptors: with too few open files the
// runtime dies without saying why (exit 134), so say it here and exit 1.
if (!KernelLimits.HasEnoughOpenFiles(out long openFiles))
{
    KernelLimits.ReportOpenFileLimitTooLow(openFiles);
    return ExitCodes.Failure;
}

// TCP relay: socket continuations on the epoll thread (see SocketEngineTuning); must precede any socket use.
if (Array.IndexOf(args, "udp") < 0)
{
    SocketEngineTuning.UseInlineCompletions();
}

return await CommandLineApp.RunAsync(args).ConfigureAwait(false);
