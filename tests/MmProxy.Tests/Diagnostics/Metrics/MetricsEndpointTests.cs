using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using MmProxy.Diagnostics.Metrics;

namespace MmProxy.Tests.Diagnostics.Metrics;

public sealed class MetricsEndpointTests
{
    private static readonly MetricsRequestRouter Router = new(() => "m 1\n", () => true);

    [Fact]
    public void Routes_metrics_and_health()
    {
        HttpResponse metrics = Router.Route("GET /metrics HTTP/1.1\r\nHost: x");
        Assert.Equal(200, metrics.Status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.ContentType);
        Assert.Equal("m 1\n", metrics.Body);
        Assert.Equal(200, Router.Route("GET /metrics?x=1 HTTP/1.0").Status);
        Assert.Equal(200, Router.Route("GET /healthz HTTP/1.1").Status);
        Assert.Equal(404, Router.Route("GET /nope HTTP/1.1").Status);
        Assert.Equal(405, Router.Route("POST /metrics HTTP/1.1").Status);
        Assert.Equal(400, Router.Route("GARBAGE").Status);
        Assert.Equal(400, Router.Route("GET metrics HTTP/1.1").Status);
        Assert.True(Router.Route("HEAD /metrics HTTP/1.1").HeadOnly);
    }

    [Fact]
    public void Health_follows_the_listeners()
    {
        bool ready = false;
        var router = new MetricsRequestRouter(() => string.Empty, () => ready);
        Assert.Equal(503, router.Route("GET /healthz HTTP/1.1").Status);
        ready = true;
        Assert.Equal(200, router.Route("GET /healthz HTTP/1.1").Status);
    }

    [Fact]
    public void Serialized_response_has_length_and_closes()
    {
        string text = Encoding.ASCII.GetString(MetricsRequestRouter.Serialize(new HttpResponse(200, "OK", "text/plain", "hello")));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 5\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nhello", text, StringComparison.Ordinal);
        string head = Encoding.ASCII.GetString(MetricsRequestRouter.Serialize(new HttpResponse(200, "OK", "text/plain", "hello", HeadOnly: true)));
        Assert.EndsWith("\r\n\r\n", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serves_over_a_real_socket_including_a_request_split_across_packets()
    {
        MetricsEndpoint? endpoint = MetricsEndpoint.Open(new IPEndPoint(IPAddress.Loopback, 0), Router, NullLogger.Instance, out string? error);
        Assert.True(endpoint is not null, error);
        await using (endpoint)
        {
            endpoint.Start();
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.ConnectAsync(endpoint.EndPoint, cts.Token);
            await client.SendAsync("GET /metr"u8.ToArray(), SocketFlags.None, cts.Token);
            await Task.Yield();
            await client.SendAsync("ics HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), SocketFlags.None, cts.Token);
            var received = new MemoryStream();
            byte[] buffer = new byte[4096];
            int n;
            while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }

            string response = Encoding.ASCII.GetString(received.ToArray());
            Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
            Assert.EndsWith("\r\n\r\nm 1\n", response, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_taken_port_is_an_error_that_names_the_address()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var endPoint = (IPEndPoint)taken.LocalEndPoint!;
        MetricsEndpoint? endpoint = MetricsEndpoint.Open(endPoint, Router, NullLogger.Instance, out string? error);
        if (endpoint is not null)
        {
            await endpoint.DisposeAsync();
        }

        Assert.Null(endpoint);
        Assert.Contains("already in use", error, StringComparison.Ordinal);
        Assert.Contains(endPoint.ToString(), error, StringComparison.Ordinal);
    }
}
