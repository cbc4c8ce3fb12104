using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Operations;

/// <summary>Plain HTTP/1.1 GETs from inside a namespace, and Prometheus sample lookup.</summary>
internal static class MetricsScraper
{
    public static async Task<(int Status, string Body)> GetAsync(string ns, IPEndPoint endPoint, string path)
    {
        using Socket s = NetworkNamespace.CreateSocket(ns, endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await s.ConnectAsync(endPoint, cts.Token);
        await s.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {endPoint}\r\n\r\n"), SocketFlags.None, cts.Token);
        var received = new MemoryStream();
        byte[] buffer = new byte[16384];
        int n;
        while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        string text = Encoding.UTF8.GetString(received.ToArray());
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string statusLine = text[..text.IndexOf('\r', StringComparison.Ordinal)];
        return (int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture), text[(split + 4)..]);
    }

    /// <summary>The value of one sample ("name{labels}"), or null when absent.</summary>
    public static double? Sample(string metrics, string series)
    {
        foreach (string line in metrics.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    /// <summary>Sum of every sample of a metric (all label sets), excluding the given label values.</summary>
    public static double Sum(string metrics, string name, params string[] excludedLabelSets)
    {
        double sum = 0;
        foreach (string line in metrics.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                string series = line[..line.LastIndexOf(' ')];
                if (!excludedLabelSets.Any(e => series.EndsWith(e, StringComparison.Ordinal)))
                {
                    sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                }
            }
        }
        return sum;
    }
}
