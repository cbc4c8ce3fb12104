using System.Net;
using System.Net.Sockets;
using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// The upstream connect failure messages, with the fix.
/// </summary>
internal static class UpstreamConnectMessages
{
    public static string Refused(IPEndPoint target) => $"connection refused: nothing listens on {target}";

    /// <param name="source">The address the socket was bound to (null: not spoofed).</param>
    public static string TimedOut(IPEndPoint target, IPEndPoint? source, TimeSpan timeout)
    {
        string waited = $"no answer from {target} within {(long)timeout.TotalMilliseconds} ms";
        if (source is null || IPAddress.IsLoopback(source.Address))
        {
            return waited + ": is the service up and reachable?";
        }

        return IsIPv4(source.Address)
            ? waited + ": replies are not routed back to loopback: add `ip rule add from 127.0.0.1/8 iif lo table 123` and `ip route add local 0.0.0.0/0 dev lo table 123`"
            : waited + ": replies are not routed back to loopback: add `ip -6 rule add from ::1/128 iif lo table 123` and `ip -6 route add local ::/0 dev lo table 123`";
    }

    public static string Failed(Errno errno, IPEndPoint target, IPEndPoint? source) => Failed(errno.Describe(), target, source);

    private static string Failed(string what, IPEndPoint target, IPEndPoint? source) =>
        source is null ? $"connect to {target} failed: {what}" : $"connect from {source} to {target} failed: {what}";

    private static bool IsIPv4(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6;
}
