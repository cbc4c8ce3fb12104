using System.Net;
using System.Net.Sockets;
using MmProxy.Interop;
using MmProxy.Tcp;

namespace MmProxy.Udp;

/// <summary>
/// Opens a flow's upstream socket: target by the client's family (-4/-6; LOCAL: by the load
/// balancer's, unspoofed), the one transparent-socket builder (IP_TRANSPARENT, SO_MARK), bound to
/// the client's IP and port, connected. If the client's port is in use here (EADDRINUSE, e.g. the
/// same client through two load balancer sockets), falls back to a kernel-chosen port on the client's IP.
/// </summary>
internal sealed class UdpUpstreamOpener
{
    private readonly TargetSelector _selector;
    private readonly uint _mark;

    public UdpUpstreamOpener(IPEndPoint targetV4, IPEndPoint targetV6, uint mark)
    {
        _selector = new TargetSelector(targetV4, targetV6);
        _mark = mark;
    }

    public UdpUpstreamOpenResult Open(in UdpFlowKey key)
    {
        IPEndPoint peer = key.Balancer.ToIPEndPoint();
        IPEndPoint? client = key.IsLocal ? null : key.Client.ToIPEndPoint();
        TargetSelection selection = _selector.Select(client, peer);
        if (!selection.Succeeded)
        {
            return new UdpUpstreamOpenResult(-1, null, selection.Error, false);
        }

        IPEndPoint target = selection.Target!;
        IPEndPoint? source = selection.Source;
        bool fallback = false;
        while (true)
        {
            SocketSetupResult setup = TransparentSocket.Open(target.AddressFamily, SocketType.Dgram, source, _mark);
            if (!setup.Succeeded)
            {
                if (setup.Error == SocketSetupError.AddressInUse && source is { Port: not 0 })
                {
                    source = new IPEndPoint(source.Address, 0);
                    fallback = true;
                    continue;
                }

                // socket() fails with EMFILE/ENFILE when many flows are open: each flow holds a socket.
                string message = setup.Errno is Errno.EMFILE or Errno.ENFILE
                    ? setup.Describe() + " or lower --max-udp-flows (each flow holds a socket)"
                    : setup.Describe();
                return new UdpUpstreamOpenResult(-1, target, message, fallback);
            }

            Errno errno = RawSocket.Connect(setup.Fd, NativeSocketAddress.FromIPEndPoint(target));
            if (errno == Errno.Success)
            {
                return new UdpUpstreamOpenResult(setup.Fd, target, null, fallback);
            }

            _ = Descriptor.Close(setup.Fd);
            if (errno is Errno.EADDRINUSE or Errno.EADDRNOTAVAIL && source is { Port: not 0 })
            {
                source = new IPEndPoint(source.Address, 0);
                fallback = true;
                continue;
            }

            string from = source is null ? string.Empty : " from " + source;
            return new UdpUpstreamOpenResult(-1, target, $"connect{from} to {target} failed: {errno.Describe()}", fallback);
        }
    }
}
