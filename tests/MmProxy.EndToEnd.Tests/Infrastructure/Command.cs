using System.Diagnostics;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>Runs short-lived tools (ip, ss) to completion, with a deadline.</summary>
internal static class Command
{
    public static async Task<CommandResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        string line = fileName + " " + string.Join(' ', info.ArgumentList);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + line);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{line}` did not finish in time");
        }
        return new CommandResult(line, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs the command and throws (with its output) unless it exits 0.</summary>
    public static async Task<CommandResult> CheckAsync(string fileName, params string[] arguments)
    {
        CommandResult result = await RunAsync(fileName, arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.ToString());
        }
        return result;
    }
}
