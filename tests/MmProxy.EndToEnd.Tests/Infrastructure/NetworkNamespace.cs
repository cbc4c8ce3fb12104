using System.Net.Sockets;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The test side of network namespaces: sockets created inside a named namespace, made with the
/// daemon's own setns helper (src/MmProxy/Interop/NetworkNamespace.cs, linked into this project).
/// A socket keeps the namespace it was created in, so it works from any thread afterwards.
/// </summary>
internal static class NetworkNamespace
{
    public static T Run<T>(string name, Func<T> action) => MmProxy.Interop.NetworkNamespace.Run(name, action);

    public static Socket CreateSocket(string name, AddressFamily family, SocketType type, ProtocolType protocol) =>
        Run(name, () => new Socket(family, type, protocol));
}
