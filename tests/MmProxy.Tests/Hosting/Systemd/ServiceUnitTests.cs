using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MmProxy.Cli;

namespace MmProxy.Tests.Hosting.Systemd;

/// <summary>packaging/systemd: the unit is valid for systemd, hardened, and its flags parse.</summary>
public sealed partial class ServiceUnitTests
{
    private static string PackagingFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "packaging", "systemd", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"packaging/systemd/{name} not found above {AppContext.BaseDirectory}");
        return string.Empty;
    }

    private static Dictionary<string, List<string>> Settings(string path)
    {
        var settings = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] is '#' or ';' or '[' || equals < 0)
            {
                continue;
            }

            string key = line[..equals];
            if (!settings.TryGetValue(key, out List<string>? values))
            {
                settings[key] = values = [];
            }

            values.Add(line[(equals + 1)..]);
        }

        return settings;
    }

    private static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), $"{file} hung");
        return (p.ExitCode, output);
    }

    [Fact]
    public void Unit_is_notify_type_unprivileged_and_hardened()
    {
        Dictionary<string, List<string>> s = Settings(PackagingFile("mmproxy.service"));
        Assert.Equal(["notify"], s["Type"]);
        Assert.Equal(["/bin/kill -HUP $MAINPID"], s["ExecReload"]);
        Assert.Equal(["/usr/bin/mmproxy $MMPROXY_OPTS"], s["ExecStart"]);
        Assert.Equal(["+/usr/bin/mmproxy routing apply $MMPROXY_ROUTING_OPTS"], s["ExecStartPre"]);
        Assert.Equal(["+/usr/bin/mmproxy routing remove $MMPROXY_ROUTING_OPTS"], s["ExecStopPost"]);
        Assert.Equal(["yes"], s["DynamicUser"]);
        Assert.Equal(["yes"], s["NoNewPrivileges"]);
        Assert.Equal(["CAP_NET_ADMIN CAP_NET_BIND_SERVICE"], s["AmbientCapabilities"]);
        Assert.Equal(["CAP_NET_ADMIN CAP_NET_BIND_SERVICE"], s["CapabilityBoundingSet"]);
        Assert.Equal(["on-failure"], s["Restart"]);
        Assert.True(long.Parse(s["LimitNOFILE"][0], CultureInfo.InvariantCulture) >= 65536);
        Assert.Equal(["strict"], s["ProtectSystem"]);
        // The JIT needs W+X pages; /proc/sys must stay readable (somaxconn).
        Assert.False(s.ContainsKey("MemoryDenyWriteExecute"));
        Assert.False(s.ContainsKey("ProcSubset"));
        Assert.Contains("AF_NETLINK", s["RestrictAddressFamilies"][0], StringComparison.Ordinal);
        Assert.Contains("AF_UNIX", s["RestrictAddressFamilies"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Systemd_accepts_the_unit_and_rates_its_exposure_low()
    {
        string unit = File.ReadAllText(PackagingFile("mmproxy.service")).Replace("/usr/bin/mmproxy", "/bin/true", StringComparison.Ordinal);
        string directory = Path.Combine(Path.GetTempPath(), $"mmt-unit-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            string path = Path.Combine(directory, "mmproxy.service");
            File.WriteAllText(path, unit);
            if (!File.Exists("/usr/bin/systemd-analyze"))
            {
                Assert.Fail("systemd-analyze is not installed (apt-get install systemd)");
            }

            (int verify, string verifyOutput) = Run("/usr/bin/systemd-analyze", "verify", path);
            Assert.True(verify == 0, verifyOutput);
            (int _, string security) = Run("/usr/bin/systemd-analyze", "security", "--offline=true", "--no-pager", path);
            Match m = ExposureRegex().Match(security);
            Assert.True(m.Success, security);
            double exposure = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(exposure <= 3.0, $"exposure {exposure}:\n{security}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Default_file_flags_parse_as_proxy_and_routing_flags()
    {
        string text = File.ReadAllText(PackagingFile("mmproxy.default"));
        string opts = QuotedValueRegex("MMPROXY_OPTS").Match(text).Groups[1].Value;
        string routing = QuotedValueRegex("MMPROXY_ROUTING_OPTS").Match(text).Groups[1].Value;
        Assert.NotEmpty(opts);
        Assert.NotEmpty(routing);

        RootCommand root = CommandLineApp.CreateRootCommand(new ProxyCommandLine());
        ParseResult proxy = CommandLineApp.Parse(root, opts.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(proxy.Errors.Count == 0, string.Join("; ", proxy.Errors.Select(e => e.Message)));
        ParseResult apply = CommandLineApp.Parse(root, ["routing", "apply", .. routing.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        Assert.True(apply.Errors.Count == 0, string.Join("; ", apply.Errors.Select(e => e.Message)));
    }

    private static Regex QuotedValueRegex(string name) => new($"^{name}=\"([^\"]*)\"", RegexOptions.Multiline, TimeSpan.FromSeconds(1));

    [GeneratedRegex(@"Overall exposure level for \S+: ([0-9.]+)", RegexOptions.None, 1000)]
    private static partial Regex ExposureRegex();
}
