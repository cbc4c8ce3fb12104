using System.CommandLine;

namespace MmProxy.Demo;

/// <summary>The `demo` subcommand; the root command attaches it (Cli/Subcommands).</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo",
            "Runs the real proxy inside a throwaway network namespace (needs root): a sample upstream, a few " +
            "PROXY v1/v2 connections from example client addresses, and a verdict for each. Exit 0 when all hold.");
        command.SetAction((parseResult, cancellationToken) =>
            DemoRunner.RunAsync(
                parseResult.InvocationConfiguration.Output,
                parseResult.InvocationConfiguration.Error,
                cancellationToken));
        return command;
    }
}
