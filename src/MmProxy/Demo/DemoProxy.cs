using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace MmProxy.Demo;

/// <summary>
/// The real proxy, this very executable, as a child process inside the sandbox
/// (`ip netns exec NS mmproxy -l … -4 … -6 …`). Its output is kept for the report on failure.
/// </summary>
internal sealed class DemoProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DemoProxy(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
    }

    public string CommandLine { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// This executable and the arguments that select it: under `dotnet mmproxy.dll` the process is
    /// the dotnet host, so the assembly path goes first.
    /// </summary>
    private static (string FileName, string[] Prefix) Self()
    {
        string path = Environment.ProcessPath ?? "/proc/self/exe";
        return Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? (path, [Environment.GetCommandLineArgs()[0]])
            : (path, []);
    }

    public static (DemoProxy? Proxy, string? Error) Start(string ns, int port, int upstreamPort)
    {
        (string self, string[] prefix) = Self();
        string p = port.ToString(CultureInfo.InvariantCulture);
        string u = upstreamPort.ToString(CultureInfo.InvariantCulture);
        string[] arguments = ["netns", "exec", ns, self, .. prefix, "-l", "127.0.0.1:" + p, "-4", "127.0.0.1:" + u, "-6", "[::1]:" + u, "-v", "2"];
        var info = new ProcessStartInfo("ip")
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
        var process = new Process { StartInfo = info };
        var proxy = new DemoProxy(process, "ip " + string.Join(' ', arguments));
        process.OutputDataReceived += (_, e) => proxy.Append(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Append(e.Data);
        try
        {
            _ = process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            return (null, $"cannot start the proxy ({e.Message})");
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (proxy, null);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Append("    proxy| ").AppendLine(line);
        }
    }

    /// <summary>
    /// Waits until the child listens on the port, reading /proc/PID/net/tcp (the table of the
    /// child's own namespace) rather than connecting, which the proxy would log as a bad client.
    /// </summary>
    public async Task<string?> WaitListeningAsync(int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string wanted = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        string table = $"/proc/{_process.Id}/net/tcp";
        DateTime deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                return $"the proxy exited with code {_process.ExitCode} before listening";
            }
            try
            {
                foreach (string line in await File.ReadAllLinesAsync(table, cancellationToken).ConfigureAwait(false))
                {
                    string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    // fields: sl local_address rem_address st …; st 0A is LISTEN.
                    if (fields.Length > 3 && fields[1].EndsWith(wanted, StringComparison.Ordinal) && fields[3] == "0A")
                    {
                        return null;
                    }
                }
            }
            catch (IOException)
            {
                // The process may be between fork and exec; try again.
            }
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
        return $"the proxy did not listen on port {port} within {timeout.TotalSeconds} s";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or stuck: the namespace deletion follows regardless.
        }
        _process.Dispose();
    }
}
