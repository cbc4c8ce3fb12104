using System.Globalization;
using System.Net;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

internal sealed partial class TestNetwork
{
    /// <summary>
    /// Starts the proxy under test in the server namespace with exactly these arguments and waits
    /// until <paramref name="listeners"/> sockets listen on <paramref name="port"/>.
    /// </summary>
    public async Task<BackgroundProcess> StartProxyAsync(IEnumerable<string> arguments, int port = ProxyPort, int listeners = 1)
    {
        BackgroundProcess p = Start("mmproxy", ServerNs, ProxyBinary.Path, arguments);
        await WaitListeningAsync(ServerNs, port, p, listeners);
        return p;
    }

    /// <summary>The usual proxy: listens on <paramref name="listen"/>:7000, targets 127.0.0.1:7001 / [::1]:7001.</summary>
    public Task<BackgroundProcess> StartProxyAsync(string listen = "0.0.0.0", params string[] extra)
    {
        var args = new List<string>
        {
            "-l", Endpoint(listen, ProxyPort),
            "-4", "127.0.0.1:" + UpstreamPort,
            "-6", "[::1]:" + UpstreamPort,
            "-v", "2",
        };
        args.AddRange(extra);
        return StartProxyAsync(args);
    }

    public string WriteFile(string name, string content)
    {
        string path = Path.Combine(TempDir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public static string Endpoint(string address, int port) =>
        address.Contains(':', StringComparison.Ordinal) ? $"[{address}]:{port}" : $"{address}:{port}";

    public static string Endpoint(IPAddress address, int port) => Endpoint(address.ToString(), port);

    /// <summary>
    /// HAProxy in the server namespace listening on both server addresses at <see cref="BalancerPort"/>,
    /// with one backend server line (e.g. "127.0.0.1:7000 send-proxy-v2").
    /// </summary>
    public async Task<BackgroundProcess> StartHaProxyAsync(string serverLine)
    {
        string config = string.Create(CultureInfo.InvariantCulture, $"""
            global
                maxconn 4096
            defaults
                mode tcp
                timeout connect 5s
                timeout client 60s
                timeout server 60s
            frontend fe
                bind {Endpoint(ServerV4, BalancerPort)}
                bind {Endpoint(ServerV6, BalancerPort)}
                default_backend be
            backend be
                server s1 {serverLine}

            """);
        string path = WriteFile("haproxy.cfg", config);
        BackgroundProcess p = Start("haproxy", ServerNs, "haproxy", ["-f", path, "-db"]);
        await WaitListeningAsync(ServerNs, BalancerPort, p, 2);
        return p;
    }

    /// <summary>nginx (stream module) in the server namespace: proxy_protocol on towards <paramref name="target"/>.</summary>
    public async Task<BackgroundProcess> StartNginxAsync(string target)
    {
        string config = $$"""
            load_module /usr/lib/nginx/modules/ngx_stream_module.so;
            pid {{TempDir}}/nginx.pid;
            error_log stderr info;
            worker_processes 1;
            events { worker_connections 4096; }
            stream {
                server {
                    listen {{Endpoint(ServerV4, BalancerPort)}};
                    listen {{Endpoint(ServerV6, BalancerPort)}};
                    proxy_pass {{target}};
                    proxy_protocol on;
                }
            }

            """;
        string path = WriteFile("nginx.conf", config);
        BackgroundProcess p = Start("nginx", ServerNs, "nginx", ["-p", TempDir, "-e", "stderr", "-c", path, "-g", "daemon off;"]);
        await WaitListeningAsync(ServerNs, BalancerPort, p, 2);
        return p;
    }
}
