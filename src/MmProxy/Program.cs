using MmProxy.Cli;
using MmProxy.Tcp;

// TCP relay: socket continuations on the epoll thread (see SocketEngineTuning); must precede any socket use.
if (Array.IndexOf(args, "udp") < 0)
{
    SocketEngineTuning.UseInlineCompletions();
}

return await CommandLineApp.RunAsync(args).ConfigureAwait(false);
