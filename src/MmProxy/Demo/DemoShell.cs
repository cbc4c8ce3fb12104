using System.ComponentModel;
using System.Diagnostics;

namespace MmProxy.Demo;

/// <summary>Runs `ip` for the demo's namespace setup; failures come back as text, not exceptions.</summary>
internal static class DemoShell
{
    public static async Task<string?> RunAsync(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        string line = fileName + " " + string.Join(' ', arguments);
        try
        {
            using Process process = Process.Start(info)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            string error = (await stderr.ConfigureAwait(false)).Trim();
            _ = await stdout.ConfigureAwait(false);
            return process.ExitCode == 0 ? null : $"`{line}` failed ({process.ExitCode}): {error}";
        }
        catch (Win32Exception e)
        {
            return $"cannot run {fileName} ({e.Message}); the demo needs iproute2";
        }
        catch (OperationCanceledException)
        {
            return $"`{line}` did not finish within 10 s";
        }
    }
}
