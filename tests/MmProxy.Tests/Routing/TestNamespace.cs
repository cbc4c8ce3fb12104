using System.Diagnostics;
using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

/// <summary>
/// A throwaway network namespace (loopback up, nothing else) and <see cref="IpCommand"/>s whose
/// `ip` and `nft` run inside it (two-line wrapper scripts), so routing code is tested against the
/// real kernel without touching the host's tables. Deleted on disposal.
/// </summary>
internal sealed class TestNamespace : IDisposable
{
    private static int _counter;

    private TestNamespace(string name, string directory)
    {
        Name = name;
        Directory = directory;
        Ip = new IpCommand(Path.Combine(directory, "ip"));
        Nft = new IpCommand(Path.Combine(directory, "nft"), package: "nftables");
    }

    public string Name { get; }

    public string Directory { get; }

    public IpCommand Ip { get; }

    /// <summary>`nft` in the namespace: see <see cref="RequireNft"/>.</summary>
    public IpCommand Nft { get; }

    public static TestNamespace Create()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Fail("routing tests need root (they create network namespaces): run them as root");
        }

        string name = $"mmt-rt-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";
        string directory = Path.Combine(Path.GetTempPath(), name);
        System.IO.Directory.CreateDirectory(directory);
        string script = Path.Combine(directory, "ip");
        File.WriteAllText(script, $"#!/bin/sh\nexec ip -n {name} \"$@\"\n");
        string nft = Path.Combine(directory, "nft");
        File.WriteAllText(nft, $"#!/bin/sh\nexec ip netns exec {name} nft \"$@\"\n");
#pragma warning disable CA1416 // Linux only, like the daemon.
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(nft, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
#pragma warning restore CA1416
        var ns = new TestNamespace(name, directory);
        try
        {
            Run("ip", "netns", "add", name);
            Run("ip", "-n", name, "link", "set", "lo", "up");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Fails the test (never skips it) when nftables is not installed.</summary>
    public static void RequireNft()
    {
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (!path.Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, "nft"))))
        {
            Assert.Fail("nft is missing: the --tproxy routing tests need nftables (apt-get install nftables)");
        }
    }

    /// <summary>`nft list ruleset` in the namespace.</summary>
    public string NftRuleset() => Run("ip", "netns", "exec", Name, "nft", "list", "ruleset");

    /// <summary>Runs a program inside the namespace (`ip netns exec`); its exit code and output, whatever the exit.</summary>
    public (int ExitCode, string Output) Exec(string file, params string[] args) => Execute("ip", ["netns", "exec", Name, file, .. args]);

    /// <summary>Runs `ip -n NAME args` and returns stdout; fails the test on a non-zero exit.</summary>
    public string Ip_(params string[] args) => Run("ip", ["-n", Name, .. args]);

    /// <summary>Everything routing apply/remove may touch: both rule lists and table 123 of both families.</summary>
    public string Snapshot(int table = 123) =>
        string.Join("\n---\n",
            Ip_("-4", "rule", "show"), Ip_("-6", "rule", "show"),
            Table("-4", table), Table("-6", table));

    // A table that does not exist yet is empty (ip says "FIB table does not exist").
    private string Table(string family, int table)
    {
        string t = table.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Ip_(family, "route", "show", "table", "all").Split('\n')
            .Where(l => l.Contains("table " + t + " ", StringComparison.Ordinal) || l.EndsWith("table " + t, StringComparison.Ordinal))
            .Aggregate(string.Empty, (a, l) => a + l + "\n");
    }

    public static string Run(string file, params string[] args)
    {
        (int exitCode, string stdout, string stderr) = Start(file, args);
        if (exitCode != 0)
        {
            Assert.Fail($"{file} {string.Join(' ', args)} exited {exitCode}: {stderr}");
        }

        return stdout;
    }

    private static (int ExitCode, string Output) Execute(string file, string[] args)
    {
        (int exitCode, string stdout, string stderr) = Start(file, args);
        return (exitCode, stdout + stderr);
    }

    private static (int ExitCode, string StdOut, string StdErr) Start(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(20_000))
        {
            p.Kill(true);
            Assert.Fail($"{file} {string.Join(' ', args)} hung");
        }

        return (p.ExitCode, stdout, stderr);
    }

    public void Dispose()
    {
        try
        {
            using Process? p = Process.Start("ip", ["netns", "delete", Name]);
            p?.WaitForExit(20_000);
        }
        finally
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
