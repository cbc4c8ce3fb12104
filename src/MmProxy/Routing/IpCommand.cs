using System.ComponentModel;
using System.Diagnostics;

namespace MmProxy.Routing;

/// <summary>
/// Runs iproute2's `ip` (or nftables' `nft`: same contract). We shell out instead of speaking rtnetlink: building and parsing
/// RTM_NEWRULE/RTM_GETROUTE messages by hand is a lot of code for four rules and two lookups, and
/// iproute2 is installed wherever policy routing is configured (the operator uses the same tool,
/// so what we run is exactly the fix we print). Never throws for a failing or missing `ip`.
/// </summary>
internal sealed class IpCommand : ICommandRunner
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly string _executable;
    private readonly TimeSpan _timeout;
    private readonly string _package;

    /// <param name="package">The Debian package that provides <paramref name="executable"/>, for "install …".</param>
    public IpCommand(string executable = "ip", TimeSpan? timeout = null, string package = "iproute2")
    {
        ArgumentException.ThrowIfNullOrEmpty(executable);
        ArgumentException.ThrowIfNullOrEmpty(package);
        _executable = executable;
        _timeout = timeout ?? DefaultTimeout;
        _package = package;
    }

    /// <summary>`nft`, for the --tproxy table (package nftables).</summary>
    public static IpCommand Nft() => new("nft", package: "nftables");

    public Task<IpCommandResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken = default) =>
        RunAsync(arguments, null, cancellationToken);

    public async Task<IpCommandResult> RunAsync(IReadOnlyList<string> arguments, string? standardInput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string line = Format(_executable, arguments);
        var info = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Stable, parseable output whatever the operator's locale.
        info.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            return new IpCommandResult(line, -1, string.Empty, $"cannot run {_executable}: {ex.Message} (install {_package})");
        }

        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            try
            {
                await WriteInputAsync(process, standardInput, timeout.Token).ConfigureAwait(false);
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return new IpCommandResult(line, -1, string.Empty, $"`{line}` did not finish within {_timeout.TotalSeconds:0.#} s");
            }

            return new IpCommandResult(line, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
    }

    public Task<IpCommandResult> RunAsync(params string[] arguments) => RunAsync((IReadOnlyList<string>)arguments);

    // Read while writing (stdout and stderr are drained already), then close: the program sees EOF.
    private static async Task WriteInputAsync(Process process, string? input, CancellationToken cancellationToken)
    {
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading all of it: its exit code and stderr say why.
        }
    }

    /// <summary>A shell-pasteable command line ("ip rule add from 127.0.0.1/8 iif lo table 123").</summary>
    public static string Format(string executable, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var parts = new List<string>(arguments.Count + 1) { Quote(executable) };
        foreach (string argument in arguments)
        {
            parts.Add(Quote(argument));
        }

        return string.Join(' ', parts);
    }

    private static string Quote(string word)
    {
        if (word.Length > 0 && word.AsSpan().IndexOfAnyExcept(SafeChars) < 0)
        {
            return word;
        }

        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    private static readonly System.Buffers.SearchValues<char> SafeChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,%");
}
