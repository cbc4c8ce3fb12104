namespace MmProxy.EndToEnd.Tests.Infrastructure;

internal sealed record CommandResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() =>
        $"`{CommandLine}` exited {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}
