using System.Net;
using MmProxy.Configuration;
using MmProxy.Configuration.ConfigFile;
using MmProxy.Configuration.Settings;

namespace MmProxy.Tests.Configuration.ConfigFile;

public sealed class ConfigFileLoaderTests
{
    private const string Source = "/etc/mmproxy/test.json";

    private static ProxyConfig Load(string json)
    {
        ConfigLoadResult result = ConfigFileLoader.Parse(json, Source, "/etc/mmproxy");
        Assert.True(result.Succeeded, result.Error);
        return result.Config!;
    }

    private static string Error(string json, string baseDirectory = "/etc/mmproxy")
    {
        ConfigLoadResult result = ConfigFileLoader.Parse(json, Source, baseDirectory);
        Assert.False(result.Succeeded, "expected an error");
        return result.Error!;
    }

    [Fact]
    public void Every_field_is_read()
    {
        ProxyConfig config = Load("""
            {
              // comments and trailing commas are fine
              "listeners": [
                {
                  "name": "web", "protocol": "tcp", "listen": "[::]:8443",
                  "ipv4": "127.0.0.1:443", "ipv6": "[::1]:4443",
                  "allowedSubnets": ["10.0.0.0/8", "2001:db8::/32"],
                  "mark": 123, "listeners": 4,
                  "headerTimeout": "2s", "connectTimeout": 3, "idleTimeout": "10m",
                  "maxHeaderSize": 1024, "backlog": 100,
                },
                { "protocol": "udp", "listen": "0.0.0.0:53", "ipv4": "127.0.0.1:5353", "closeAfter": "30s", "maxUdpFlows": 1000 }
              ]
            }
            """);
        Assert.Equal(2, config.Listeners.Count);
        ListenerConfig web = config.Listeners[0];
        Assert.Equal("web", web.Name);
        ProxyOptions o = Assert.Single(web.Expand()).Options;
        Assert.Equal(TransportProtocol.Tcp, o.Protocol);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Any, 8443), o.ListenEndPoint);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:443"), o.TargetV4);
        Assert.Equal(IPEndPoint.Parse("[::1]:4443"), o.TargetV6);
        Assert.Equal(123u, o.Mark);
        Assert.Equal(4, o.Listeners);
        Assert.Equal(TimeSpan.FromSeconds(2), o.HeaderTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), o.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), o.IdleTimeout);
        Assert.Equal(1024, o.MaxHeaderSize);
        Assert.Equal(100, o.Backlog);
        Assert.True(web.Subnets!.Contains(IPAddress.Parse("10.1.2.3")));
        Assert.False(web.Subnets.Contains(IPAddress.Parse("192.0.2.1")));

        ProxyOptions dns = Assert.Single(config.Listeners[1].Expand()).Options;
        Assert.Equal(TransportProtocol.Udp, dns.Protocol);
        Assert.Equal(TimeSpan.FromSeconds(30), dns.CloseAfter);
        Assert.Equal(1000, dns.MaxUdpFlows);
        Assert.Null(config.Listeners[1].Subnets);
    }

    [Fact]
    public void Omitted_fields_take_the_flag_defaults()
    {
        ProxyOptions o = Assert.Single(Load("""{"listeners": [{"listen": "0.0.0.0:8443"}]}""").Units()).Options;
        Assert.Equal(ProxyOptions.DefaultTargetV4, o.TargetV4);
        Assert.Equal(ProxyOptions.DefaultTargetV6, o.TargetV6);
        Assert.Equal(ListenerSettings.HeaderTimeout.Default, o.HeaderTimeout);
        Assert.Equal(ListenerSettings.ConnectTimeout.Default, o.ConnectTimeout);
        Assert.Equal(ListenerSettings.CloseAfter.Default, o.CloseAfter);
        Assert.Equal(ListenerSettings.MaxUdpFlows.Default, o.MaxUdpFlows);
        Assert.Null(o.IdleTimeout);
        Assert.Null(o.Backlog);
        Assert.Equal(1, o.Listeners);
        Assert.Equal(0u, o.Mark);
    }

    [Fact]
    public void A_port_range_maps_one_to_one_onto_the_target_range()
    {
        IReadOnlyList<ListenerUnit> units = Load("""
            {"listeners": [{"listen": "0.0.0.0:10000-10009", "ipv4": "127.0.0.1:20000-20009", "ipv6": "[::1]:30000-30009"}]}
            """).Units();
        Assert.Equal(10, units.Count);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(10000 + i, units[i].Options.ListenEndPoint.Port);
            Assert.Equal(20000 + i, units[i].Options.TargetV4.Port);
            Assert.Equal(30000 + i, units[i].Options.TargetV6.Port);
            Assert.Equal("tcp 0.0.0.0:" + (10000 + i), units[i].Key);
        }
    }

    [Fact]
    public void A_single_target_port_takes_every_port_of_the_range()
    {
        IReadOnlyList<ListenerUnit> units = Load("""{"listeners": [{"listen": "0.0.0.0:10000-10002", "ipv4": "127.0.0.1:443"}]}""").Units();
        Assert.Equal([443, 443, 443], units.Select(u => u.Options.TargetV4.Port));
    }

    [Fact]
    public void Tcp_and_udp_may_share_a_port()
    {
        ProxyConfig config = Load("""
            {"listeners": [{"listen": "0.0.0.0:53"}, {"protocol": "udp", "listen": "0.0.0.0:53"}]}
            """);
        Assert.Equal(["tcp 0.0.0.0:53", "udp 0.0.0.0:53"], config.Units().Select(u => u.Key));
    }

    [Fact]
    public void Subnets_file_is_resolved_against_the_config_directory()
    {
        string dir = Directory.CreateTempSubdirectory("mmt-config-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "lb.txt"), "198.51.100.0/24\n");
            ConfigLoadResult result = ConfigFileLoader.Parse("""{"listeners": [{"listen": "0.0.0.0:1", "allowedSubnets": "lb.txt"}]}""", Source, dir);
            Assert.True(result.Succeeded, result.Error);
            ListenerConfig l = result.Config!.Listeners[0];
            Assert.Equal(Path.Combine(dir, "lb.txt"), l.SubnetsSource);
            Assert.True(l.Subnets!.Contains(IPAddress.Parse("198.51.100.1")));
            Assert.False(l.Subnets.Contains(IPAddress.Parse("10.0.0.1")));

            File.WriteAllText(Path.Combine(dir, "lb.txt"), "not-a-subnet\n");
            string error = ConfigFileLoader.Parse("""{"listeners": [{"name": "a", "listen": "0.0.0.0:1", "allowedSubnets": "lb.txt"}]}""", Source, dir).Error!;
            Assert.Contains(Source + ": listeners[0] (name \"a\"): field \"allowedSubnets\": ", error, StringComparison.Ordinal);
            Assert.Contains("lb.txt:1: 'not-a-subnet' is not an IP address", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    // Field values: listener named, field named, and the fix.
    [InlineData("""{"listeners": [{"name": "web", "listen": "0.0.0.0"}]}""", "listeners[0] (name \"web\"): field \"listen\"", "has no port: write IP:PORT")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:70000"}]}""", "listeners[0]: field \"listen\"", "a port is a number between 0 and 65535")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:10-5"}]}""", "field \"listen\"", "write it as 5-10")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1000-9999"}]}""", "field \"listen\"", "at most 4096")]
    [InlineData("""{"listeners": [{"listen": "10.1:80"}]}""", "field \"listen\"", "expected IP:PORT")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:80"}, {"name": "b", "listen": "0.0.0.0:80", "ipv4": "[::1]:80"}]}""", "listeners[1] (name \"b\"): field \"ipv4\"", "is not an IPv4 address")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:80", "ipv6": "127.0.0.1:80"}]}""", "listeners[0]: field \"ipv6\"", "is not an IPv6 address")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1-3", "ipv4": "127.0.0.1:5-6"}]}""", "field \"ipv4\"", "give 3 ports (or a single port for all)")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "ipv4": "127.0.0.1:0"}]}""", "field \"ipv4\"", "port 0 is not a target port")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "protocol": "sctp"}]}""", "field \"protocol\"", "use \"tcp\" or \"udp\"")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "allowedSubnets": []}]}""", "field \"allowedSubnets\"", "list at least one subnet")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "allowedSubnets": ["10.0.0.0/33"]}]}""", "field \"allowedSubnets\"", "entry 0: '33' is not a prefix length")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "allowedSubnets": 5}]}""", "field \"allowedSubnets\"", "expected a file path")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "allowedSubnets": "/nonexistent/mmt-allowed.txt"}]}""", "field \"allowedSubnets\"", "cannot read the allowed subnets file")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "mark": -1}]}""", "field \"mark\"", "from 0 to 4294967295")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "listeners": 0}]}""", "field \"listeners\"", "from 1 to 1024")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "maxUdpFlows": 0}]}""", "field \"maxUdpFlows\"", "from 1 to")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "maxHeaderSize": 1}]}""", "field \"maxHeaderSize\"", "is out of range")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "backlog": 0}]}""", "field \"backlog\"", "is out of range")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "headerTimeout": "soon"}]}""", "field \"headerTimeout\"", "a duration greater than zero")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "connectTimeout": 0}]}""", "field \"connectTimeout\"", "a duration greater than zero")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "idleTimeout": true}]}""", "field \"idleTimeout\"", "\"off\" or 0 turns it off")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1", "closeAfter": "-5s"}]}""", "field \"closeAfter\"", "a duration greater than zero")]
    [InlineData("""{"listeners": [{"name": "", "listen": "0.0.0.0:1"}]}""", "field \"name\"", "1 to 64 printable characters")]
    [InlineData("""{"listeners": [{"protocol": "tcp"}]}""", "listeners[0]: field \"listen\"", "missing: give the address")]
    // Across listeners.
    [InlineData("""{"listeners": [{"name": "a", "listen": "0.0.0.0:1"}, {"name": "a", "listen": "0.0.0.0:2"}]}""", "listeners[1] (name \"a\"): field \"name\"", "listeners[0] has the same name")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:10-20"}, {"name": "x", "listen": "127.0.0.1:15"}]}""", "listeners[1] (name \"x\"): field \"listen\"", "overlaps tcp 0.0.0.0:10-20 of listeners[0]")]
    [InlineData("""{"listeners": [{"protocol": "udp", "listen": "[::]:53"}, {"protocol": "udp", "listen": "0.0.0.0:53"}]}""", "listeners[1]: field \"listen\"", "cannot share a port")]
    // JSON shape: line and column, listener and field.
    [InlineData("""{"listeners": [{"name": "n", "listen": "0.0.0.0:1", "mark": "5"}]}""", "listeners[0] (name \"n\"): field \"mark\"", "wrong type: expected an integer")]
    [InlineData("""{"listeners": [{"name": "n", "listen": "0.0.0.0:1", "alowedSubnets": []}]}""", "listeners[0] (name \"n\"): unknown field \"alowedSubnets\"", "check its spelling")]
    [InlineData("""{"listener": []}""", "unknown field \"listener\"", "check its spelling")]
    [InlineData("""{"listeners": [{"listen": "0.0.0.0:1",}""", Source + ":1:", "not valid JSON")]
    [InlineData("""{"listeners": []}""", "field \"listeners\"", "add at least one")]
    [InlineData("""{}""", "field \"listeners\"", "add at least one")]
    [InlineData("""null""", Source, "expected an object")]
    [InlineData("""{"listeners": [null]}""", "listeners[0]", "expected an object")]
    public void Errors_name_the_file_the_listener_and_the_field_with_the_fix(string json, string where, string fix)
    {
        string error = Error(json);
        Assert.StartsWith(Source, error, StringComparison.Ordinal);
        Assert.Contains(where, error, StringComparison.Ordinal);
        Assert.Contains(fix, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_errors_carry_the_line()
    {
        string error = Error("{\n  \"listeners\": [\n    {\"listen\": \"0.0.0.0:1\", \"mark\": \"x\"}\n  ]\n}");
        Assert.StartsWith(Source + ":3:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_file_is_named()
    {
        ConfigLoadResult result = ConfigFileLoader.LoadFile("/nonexistent/mmt-config.json");
        Assert.False(result.Succeeded);
        Assert.StartsWith("/nonexistent/mmt-config.json: cannot read the configuration file", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Udp_only_fields_on_tcp_warn()
    {
        ConfigLoadResult result = ConfigFileLoader.Parse("""{"listeners": [{"listen": "0.0.0.0:1", "closeAfter": "5s"}]}""", Source, "/");
        Assert.True(result.Succeeded, result.Error);
        Assert.Contains(result.Warnings, w => w.Contains("apply to UDP listeners only", StringComparison.Ordinal));
    }

    [Fact]
    public void The_example_config_is_valid()
    {
        string path = Path.Combine(RepoRoot(), "packaging", "config.example.json");
        string dir = Directory.CreateTempSubdirectory("mmt-config-").FullName;
        try
        {
            // The example refers to an allowed-subnets file next to it.
            File.WriteAllText(Path.Combine(dir, "allowed-subnets.txt"), "10.0.0.0/8\n");
            ConfigLoadResult result = ConfigFileLoader.Parse(File.ReadAllText(path), path, dir);
            Assert.True(result.Succeeded, result.Error);
            Assert.Contains(result.Config!.Units(), u => u.Options.Protocol == TransportProtocol.Udp);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string RepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MmProxy.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("MmProxy.sln not found above " + AppContext.BaseDirectory);
    }
}
