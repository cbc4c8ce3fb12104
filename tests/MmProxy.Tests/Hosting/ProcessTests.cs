using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Hosting;

/// <summary>The real binary's process contract: exit statuses, signals, log formats.</summary>
public sealed class ProcessTests
{
    private static string Binary()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("MMPROXY_BIN");
        string path = !string.IsNullOrEmpty(fromEnv) ? fromEnv : Path.Combine(AppContext.BaseDirectory, "mmproxy");
        Assert.True(File.Exists(path), $"mmproxy binary not found at {path}");
        return path;
    }

    private static Process Start(params string[] args) => Start(null, args);

    private static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(Binary())
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("cannot start mmproxy");
    }

    private static async Task<List<string>> ReadUntilAsync(Process process, string marker)
    {
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(Loopback.Deadline);
        while (true)
        {
            string? line = await process.StandardError.ReadLineAsync(cts.Token);
            if (line is null)
            {
                Assert.Fail($"mmproxy ended before '{marker}':\n" + string.Join("\n", lines));
            }

            lines.Add(line);
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return lines;
            }
        }
    }

    private static async Task SignalAsync(Process process, string signal)
    {
        using Process kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync().WaitAsync(Loopback.Deadline);
    }

    private static async Task<int> ExitCodeAsync(Process process)
    {
        using var cts = new CancellationTokenSource(Loopback.Deadline);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    [Theory]
    [InlineData("TERM", "SIGTERM")]
    [InlineData("INT", "SIGINT")]
    public async Task A_stop_signal_closes_the_listeners_and_exits_0(string signal, string name)
    {
        using Process process = Start("-l", "127.0.0.1:0");
        try
        {
            await ReadUntilAsync(process, "Listening on");
            await SignalAsync(process, signal);
            List<string> rest = await ReadUntilAsync(process, "Stopped");
            Assert.Contains(rest, l => l.Contains(name + " received", StringComparison.Ordinal));
            Assert.Equal(0, await ExitCodeAsync(process));
        }
        finally
        {
            process.Kill();
        }
    }

    /// <summary>`nohup` hands over SIGHUP ignored; the reload must work all the same.</summary>
    [Fact]
    public async Task Sighup_reloads_even_when_the_process_inherited_it_ignored()
    {
        var info = new ProcessStartInfo("nohup")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { Binary(), "-l", "127.0.0.1:0" })
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException("cannot start nohup mmproxy");
        try
        {
            await ReadUntilAsync(process, "Startup took");
            await SignalAsync(process, "HUP");
            await ReadUntilAsync(process, "SIGHUP received");
            await SignalAsync(process, "TERM");
            await ReadUntilAsync(process, "Stopped");
            Assert.Equal(0, await ExitCodeAsync(process));
        }
        finally
        {
            process.Kill();
        }
    }

    [Fact]
    public async Task A_retired_environment_switch_is_named_and_ignored()
    {
        using Process process = Start(new Dictionary<string, string> { ["MMPROXY_ENGINE"] = "sockets", ["MMPROXY_RELAY"] = "copy" }, "-l", "127.0.0.1:0");
        try
        {
            List<string> lines = await ReadUntilAsync(process, "Listening on");
            Assert.Contains(lines, l => l.Contains("MMPROXY_ENGINE is set but no longer read", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("MMPROXY_RELAY is set but no longer read: use --splice-threshold 0", StringComparison.Ordinal));
        }
        finally
        {
            process.Kill();
        }
    }

    [Fact]
    public async Task A_taken_listen_address_exits_1_naming_it()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen(1);
        string address = holder.LocalEndPoint!.ToString()!;
        using Process process = Start("-l", address);
        string errors = await process.StandardError.ReadToEndAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(1, await ExitCodeAsync(process));
        Assert.Contains($"Cannot start: cannot listen on {address}: the address is already in use: another process holds it", errors, StringComparison.Ordinal);
        Assert.Contains("starting: tcp listen", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_allowed_subnets_file_exits_1()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# nothing\n");
            using Process process = Start("-l", "127.0.0.1:0", "-allowed-subnets", path);
            string errors = await process.StandardError.ReadToEndAsync().WaitAsync(Loopback.Deadline);
            Assert.Equal(1, await ExitCodeAsync(process));
            Assert.Contains(path, errors, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_bad_flag_exits_2()
    {
        using Process process = Start("-listeners=zero");
        string errors = await process.StandardError.ReadToEndAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(2, await ExitCodeAsync(process));
        Assert.Contains("--listeners", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_log_format_writes_one_json_object_per_line()
    {
        using Process process = Start("-l", "127.0.0.1:0", "--log-format", "json");
        try
        {
            List<string> lines = await ReadUntilAsync(process, "Listening on");
            foreach (string line in lines)
            {
                using JsonDocument document = JsonDocument.Parse(line);
                Assert.True(document.RootElement.TryGetProperty("EventId", out _), line);
                Assert.True(document.RootElement.TryGetProperty("Timestamp", out _), line);
            }

            await SignalAsync(process, "TERM");
            Assert.Equal(0, await ExitCodeAsync(process));
        }
        finally
        {
            process.Kill();
        }
    }

    [Fact]
    public async Task Text_log_format_is_one_line_per_event_with_a_utc_timestamp()
    {
        using Process process = Start("-l", "127.0.0.1:0");
        try
        {
            List<string> lines = await ReadUntilAsync(process, "Listening on");
            Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \w+: mmproxy", l));
        }
        finally
        {
            process.Kill();
        }
    }
}
