namespace MmProxy.Routing;

/// <summary>
/// Runs one program (`ip`, `nft`) with arguments and optional standard input; a failure to run is
/// a result (exit code -1), never an exception. <see cref="IpCommand"/> is the real one; tests
/// put a namespace wrapper or a fake behind it.
/// </summary>
internal interface ICommandRunner
{
    Task<IpCommandResult> RunAsync(IReadOnlyList<string> arguments, string? standardInput, CancellationToken cancellationToken);

    Task<IpCommandResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken = default) =>
        RunAsync(arguments, null, cancellationToken);
}
